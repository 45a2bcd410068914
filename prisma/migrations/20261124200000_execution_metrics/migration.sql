-- CreateIndex
CREATE INDEX "tool_execution_logs_metrics_idx" ON "tool_execution_logs"("organization_id", "started_at", "tool_id", "status", "duration_ms", "retry_count", "error_code");

-- DropIndex
DROP INDEX "tool_execution_logs_metrics_idx";

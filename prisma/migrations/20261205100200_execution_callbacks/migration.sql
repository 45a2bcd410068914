-- AlterTable: a Lambda Event invocation stays RUNNING until its callback (or its deadline).
ALTER TABLE "tool_execution_logs" ADD COLUMN "awaiting_callback_until" TIMESTAMPTZ(3),
ADD COLUMN "callback_after_hangup" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "tool_execution_logs_awaiting_callback_until_idx" ON "tool_execution_logs"("awaiting_callback_until");

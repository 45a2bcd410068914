-- AlterTable
ALTER TABLE "tool_execution_logs" ADD COLUMN "approval_preview" JSONB,
ADD COLUMN "approval_digest" TEXT;

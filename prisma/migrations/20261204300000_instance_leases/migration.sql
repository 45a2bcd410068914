-- CreateTable
CREATE TABLE "instances" (
    "id" UUID NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stopped_at" TIMESTAMPTZ(3),

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "instances_heartbeat_at_idx" ON "instances"("heartbeat_at");

-- AlterTable
ALTER TABLE "tool_execution_logs" ADD COLUMN "instance_id" UUID;

-- CreateIndex
CREATE INDEX "tool_execution_logs_instance_id_idx" ON "tool_execution_logs"("instance_id");

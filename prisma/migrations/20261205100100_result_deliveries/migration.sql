-- CreateEnum
CREATE TYPE "DeliveryChannel" AS ENUM ('VAPI_CONTROL', 'WEBHOOK');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED', 'UNDELIVERED');

-- AlterTable
ALTER TABLE "calls" ADD COLUMN "control_url" BYTEA,
ADD COLUMN "control_url_digest" TEXT;

-- AlterTable
ALTER TABLE "assistants" ADD COLUMN "callback_url" TEXT,
ADD COLUMN "callback_secret" BYTEA;

-- CreateTable
CREATE TABLE "result_deliveries" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "execution_id" UUID NOT NULL,
    "call_id" UUID,
    "channel" "DeliveryChannel" NOT NULL,
    "event" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL DEFAULT 0,
    "payload" JSONB NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "call_ended" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "result_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: re-enqueueing the same result or progress message is a no-op.
CREATE UNIQUE INDEX "result_deliveries_execution_id_channel_event_sequence_key" ON "result_deliveries"("execution_id", "channel", "event", "sequence");

-- CreateIndex: the poller's due rows.
CREATE INDEX "result_deliveries_status_next_attempt_at_idx" ON "result_deliveries"("status", "next_attempt_at");

-- CreateIndex: a call's timeline.
CREATE INDEX "result_deliveries_call_id_created_at_idx" ON "result_deliveries"("call_id", "created_at");

-- AddForeignKey
ALTER TABLE "result_deliveries" ADD CONSTRAINT "result_deliveries_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "result_deliveries" ADD CONSTRAINT "result_deliveries_execution_id_fkey" FOREIGN KEY ("execution_id") REFERENCES "tool_execution_logs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "result_deliveries" ADD CONSTRAINT "result_deliveries_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "calls"("id") ON DELETE SET NULL ON UPDATE CASCADE;

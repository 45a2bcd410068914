-- CreateEnum
CREATE TYPE "CallStatus" AS ENUM ('IN_PROGRESS', 'ENDED');

-- CreateEnum
CREATE TYPE "CallPlatform" AS ENUM ('VAPI', 'RETELL', 'API');

-- AlterTable
ALTER TABLE "calls" ADD COLUMN "platform" "CallPlatform" NOT NULL DEFAULT 'API',
ADD COLUMN "end_reason" TEXT;

-- AlterTable: the free-text status becomes an enum; a call with an end time has ended.
ALTER TABLE "calls" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "calls" ALTER COLUMN "status" TYPE "CallStatus"
  USING (CASE WHEN "ended_at" IS NULL THEN 'IN_PROGRESS' ELSE 'ENDED' END)::"CallStatus";
ALTER TABLE "calls" ALTER COLUMN "status" SET DEFAULT 'IN_PROGRESS';

-- CreateIndex
CREATE INDEX "calls_organization_id_started_at_idx" ON "calls"("organization_id", "started_at");

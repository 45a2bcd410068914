-- AlterTable
ALTER TABLE "tools" ADD COLUMN "last_health" TEXT NOT NULL DEFAULT 'OK';

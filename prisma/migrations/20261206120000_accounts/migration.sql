-- Accounts (issue 18): what a session list shows, and single-use password reset links.

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN "user_agent" TEXT,
ADD COLUMN "client_address" TEXT;

-- CreateTable
CREATE TABLE "password_resets" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_by_id" UUID,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "password_resets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "password_resets_token_hash_key" ON "password_resets"("token_hash");

-- CreateIndex
CREATE INDEX "password_resets_user_id_idx" ON "password_resets"("user_id");

-- AddForeignKey
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "password_resets" ADD CONSTRAINT "password_resets_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AlterEnum: account events for the security event log (server/auth/account-events.ts).
ALTER TYPE "SecurityEventKind" ADD VALUE 'PASSWORD_CHANGED';
ALTER TYPE "SecurityEventKind" ADD VALUE 'PASSWORD_RESET_LINK_CREATED';
ALTER TYPE "SecurityEventKind" ADD VALUE 'PASSWORD_RESET';
ALTER TYPE "SecurityEventKind" ADD VALUE 'SESSION_REVOKED';

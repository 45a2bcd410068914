-- AlterTable
ALTER TABLE "assistants" ADD COLUMN     "retell_api_key" BYTEA,
ADD COLUMN     "server_secret_hash" TEXT;

-- AlterTable
ALTER TABLE "tools" ADD COLUMN     "install_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "messages" JSONB;

-- AlterTable
ALTER TABLE "assistant_tools" ADD COLUMN     "messages" JSONB;

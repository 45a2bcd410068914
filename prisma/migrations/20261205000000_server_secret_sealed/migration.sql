-- AlterTable
ALTER TABLE "assistants" ADD COLUMN "server_secret_sealed" BYTEA;

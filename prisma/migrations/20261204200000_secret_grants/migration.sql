-- CreateTable
CREATE TABLE "secret_grants" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "tool_id" UUID NOT NULL,
    "secret_name" TEXT NOT NULL,
    "approved_surface" JSONB NOT NULL,
    "approved_version" INTEGER NOT NULL,
    "granted_by_id" UUID,
    "granted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "secret_grants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "secret_grants_tool_id_secret_name_key" ON "secret_grants"("tool_id", "secret_name");

-- CreateIndex
CREATE INDEX "secret_grants_organization_id_secret_name_idx" ON "secret_grants"("organization_id", "secret_name");

-- AddForeignKey
ALTER TABLE "secret_grants" ADD CONSTRAINT "secret_grants_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "secret_grants" ADD CONSTRAINT "secret_grants_tool_id_fkey" FOREIGN KEY ("tool_id") REFERENCES "tools"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "secret_grants" ADD CONSTRAINT "secret_grants_granted_by_id_fkey" FOREIGN KEY ("granted_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

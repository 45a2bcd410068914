-- CreateEnum
CREATE TYPE "SecurityEventKind" AS ENUM ('SSRF_REFUSED', 'SANDBOX_PERMISSION_DENIED', 'SANDBOX_MEMORY_KILL', 'SANDBOX_TIME_KILL', 'LOGIN_FAILED', 'LOGIN_THROTTLED', 'CSRF_REFUSED', 'API_KEY_CREATED', 'API_KEY_REVOKED', 'API_KEY_REVOKED_USE', 'APPROVAL_APPROVED', 'APPROVAL_REJECTED', 'SECRET_GRANTED', 'SECRET_GRANT_REVOKED', 'SECRET_USED', 'SECRET_USE_DENIED');

-- CreateEnum
CREATE TYPE "SecurityEventSeverity" AS ENUM ('INFO', 'WARNING', 'HIGH');

-- CreateTable
CREATE TABLE "security_events" (
    "id" UUID NOT NULL,
    "organization_id" UUID,
    "kind" "SecurityEventKind" NOT NULL,
    "severity" "SecurityEventSeverity" NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "subject_type" TEXT,
    "subject_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "security_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "security_events_organization_id_created_at_id_idx" ON "security_events"("organization_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "security_events_organization_id_kind_created_at_idx" ON "security_events"("organization_id", "kind", "created_at" DESC);

-- CreateIndex
CREATE INDEX "security_events_created_at_idx" ON "security_events"("created_at");

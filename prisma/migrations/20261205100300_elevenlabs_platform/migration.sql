-- AlterEnum
ALTER TYPE "CallPlatform" ADD VALUE 'ELEVENLABS';

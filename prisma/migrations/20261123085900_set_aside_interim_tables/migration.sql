-- Hand-written. Before Prisma the API created interim tables (api_*) on connect, and one of them,
-- api_key, has the name of the Prisma model's table. On a database that has them, they move to the
-- schema "interim", data and all, before the first Prisma migration creates its tables;
-- 20261123101000_import_interim_data then copies their rows into the Prisma tables.
-- It is dated before the first migration so that it runs first on such a database; on any other
-- database (fresh, or already migrated) it does nothing.
DO $$
DECLARE
  t text;
BEGIN
  IF to_regclass('public.api_instance') IS NULL THEN
    RETURN;
  END IF;
  CREATE SCHEMA IF NOT EXISTS interim;
  FOREACH t IN ARRAY ARRAY['api_account', 'api_key', 'api_instance', 'api_topic', 'api_operation', 'api_audit_event',
                           'api_usage_record', 'api_idempotency', 'api_instance_object', 'api_invoice'] LOOP
    IF to_regclass('public.' || t) IS NOT NULL THEN
      EXECUTE format('ALTER TABLE public.%I SET SCHEMA interim', t);
    END IF;
  END LOOP;
  -- Added late to the interim schema; a database from before that change lacks it.
  ALTER TABLE interim.api_instance ADD COLUMN IF NOT EXISTS sasl_bootstrap_servers text;
END $$;

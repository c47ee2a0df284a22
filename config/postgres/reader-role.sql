-- The audit trail's read-only role for CLI users (README: "Readers need only read access"). The worker's role
-- (here the database's owner, runbooks) creates and writes runbook_audit; whatever tables it creates in this
-- schema, runbook_reader may read them and nothing else. Run once as a superuser or the database's owner; the
-- docker-compose stack runs it when its Postgres is first created.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'runbook_reader') THEN
    CREATE ROLE runbook_reader LOGIN PASSWORD 'runbook_reader';
  END IF;
END $$;
GRANT CONNECT ON DATABASE runbooks TO runbook_reader;
GRANT USAGE ON SCHEMA public TO runbook_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE runbooks IN SCHEMA public GRANT SELECT ON TABLES TO runbook_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO runbook_reader;

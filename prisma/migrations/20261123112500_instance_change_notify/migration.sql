-- Hand-written (no schema.prisma change, so Prisma's diff has nothing to generate): every change of
-- an instance row (API spec writes, operator status writes, any tool) notifies the row's id on the
-- channel `tributary_instance_changed`. The API's in-memory instance cache (libs/db
-- src/instance-cache.ts) LISTENs there and drops that id. PostgreSQL delivers the notification at
-- commit, so a listener never sees an id before the change is visible.
CREATE FUNCTION "tributary_notify_instance_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('tributary_instance_changed', OLD.id);
  ELSE
    PERFORM pg_notify('tributary_instance_changed', NEW.id);
    IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
      PERFORM pg_notify('tributary_instance_changed', OLD.id);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "instance_changed_notify"
  AFTER INSERT OR UPDATE OR DELETE ON "instance"
  FOR EACH ROW EXECUTE FUNCTION "tributary_notify_instance_changed"();

-- TRUNCATE fires no row triggers: it notifies '*' (every id), and listeners drop everything.
CREATE FUNCTION "tributary_notify_instance_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tributary_instance_changed', '*');
  RETURN NULL;
END;
$$;

CREATE TRIGGER "instance_truncated_notify"
  AFTER TRUNCATE ON "instance"
  FOR EACH STATEMENT EXECUTE FUNCTION "tributary_notify_instance_truncated"();

package dev.tandem.backfill;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The backfill's writes leave row triggers unfired (session_replication_role = replica) only when nothing but
 * Tandem's sync trigger would react to them: user triggers and rules still see every backfill write, a foreign key
 * on a written column still checks every value, and a role that may not switch triggers off gets them fired.
 */
class BackfillTriggersTest {
    private static final int ROWS = 300;
    private static final String TABLES = """
            operations:
              - create_table:
                  table: p
                  columns:
                    - {name: id, type: bigint, primary_key: true}
              - create_table:
                  table: m
                  columns:
                    - {name: id, type: bigint, primary_key: true}
                    - {name: v, type: integer, nullable: false}
                    - {name: p_id, type: bigint, references: {table: p, column: id}}
            """;
    private static final String WIDEN = """
            operations:
              - alter_column: {table: m, column: v, type: bigint, up: "v * 10", down: "(v / 10)::integer"}
            """;
    /** The new column's values must name a row of p: up yields 1..ROWS for even v and 0 (no such row) for odd v. */
    private static final String ADD_REFERENCE = """
            operations:
              - add_column:
                  table: m
                  column: {name: q_id, type: bigint, references: {table: p, column: id}}
                  up: "CASE WHEN v % 2 = 0 THEN v ELSE 0 END"
            """;

    @TempDir
    Path dir;

    @Test
    void theSyncTriggerIsLeftUnfiredWhenNothingElseWouldNotice() {
        String schema = Pg.newSchema("bt_skip");
        DataSource superuser = role(schema, true);
        Tandem tandem = expand(superuser, schema, WIDEN);
        tandem.backfill();

        assertFilled(schema);
        assertThat(syncTriggerCalls(schema)).as("sync trigger calls during the backfill").isZero();
    }

    @Test
    void aRoleThatMayNotSwitchTriggersOffGetsThemFiredAndTheSameRows() {
        String schema = Pg.newSchema("bt_fire");
        DataSource user = role(schema, false);
        Tandem tandem = expand(user, schema, WIDEN);
        tandem.backfill();

        assertFilled(schema);
        // The same counter reads every row here, so the zero above is a real zero and not stats not yet flushed. Before
        // PostgreSQL 15 a statistics collector process receives the counts, late on a busy machine: wait for them.
        long calls = syncTriggerCalls(schema);
        for (long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos(); calls < ROWS && System.nanoTime() < deadline; ) {
            sleep(250);
            calls = syncTriggerCalls(schema);
        }
        assertThat(calls).as("sync trigger calls during the backfill").isGreaterThanOrEqualTo(ROWS);
    }

    @Test
    void aUserTriggerSeesEveryBackfillWrite() {
        assertAuditSeesEveryBackfillWrite("bt_user", q -> List.of(
                "CREATE FUNCTION " + q + ".audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO " + q
                        + ".audit VALUES (NEW.id); RETURN NEW; END$$",
                "CREATE TRIGGER audit AFTER UPDATE ON " + q + ".m FOR EACH ROW EXECUTE FUNCTION " + q + ".audit()"));
    }

    @Test
    void aRuleOnTheTableSeesEveryBackfillWrite() {
        assertAuditSeesEveryBackfillWrite("bt_rule", q -> List.of(
                "CREATE RULE audit AS ON UPDATE TO " + q + ".m DO ALSO INSERT INTO " + q + ".audit VALUES (NEW.id)"));
    }

    /** @param audit the statements that make every update of m insert its id into the table audit (schema quoted) */
    private void assertAuditSeesEveryBackfillWrite(String prefix, Function<String, List<String>> audit) {
        String schema = Pg.newSchema(prefix);
        Tandem tandem = expand(role(schema, true), schema, WIDEN);
        String q = "\"" + schema + "\"";
        Pg.exec("CREATE TABLE " + q + ".audit (id bigint)");
        audit.apply(q).forEach(Pg::exec);
        tandem.backfill();

        assertFilled(schema);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(DISTINCT id) FROM " + q + ".audit")).isEqualTo((long) ROWS);
    }

    @Test
    void aForeignKeyOnAWrittenColumnStillChecksEveryValue() {
        String schema = Pg.newSchema("bt_fk");
        Tandem tandem = expand(role(schema, true), schema, ADD_REFERENCE);

        TandemException e = catchThrowableOfType(tandem::backfill, TandemException.class);
        assertThat(e).as("the backfill writes q_id = 0, which p has not").isNotNull();
        assertThat(e.getMessage()).contains("foreign key");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m WHERE q_id = 0")).isEqualTo(0L);
    }

    /**
     * A role of its own that owns the schema, may create the version and state schemas, and counts PL/pgSQL calls
     * (track_functions) in its sessions, so that the sync trigger's calls by the backfill can be read afterwards.
     */
    private static DataSource role(String schema, boolean superuser) {
        String name = schema + "_role";
        Pg.exec("CREATE ROLE \"" + name + "\" LOGIN" + (superuser ? " SUPERUSER" : ""));
        Pg.exec("ALTER ROLE \"" + name + "\" SET track_functions = 'pl'");
        Pg.exec("GRANT CREATE ON DATABASE postgres TO \"" + name + "\"");
        Pg.exec("ALTER SCHEMA \"" + schema + "\" OWNER TO \"" + name + "\"");
        return Pg.dataSourceAs(name);
    }

    private Tandem expand(DataSource ds, String schema, String change) {
        Migrations files = new Migrations(dir).write("001_init.yaml", TABLES);
        Tandem tandem = Tandem.configure().dataSource(ds).migrations(dir).schema(schema).stateSchema(schema + "_state")
                .batchSize(20, 100).targetBatch(Duration.ofMillis(5)).load();
        tandem.migrate();
        String q = "\"" + schema + "\"";
        Pg.exec("INSERT INTO " + q + ".p SELECT g FROM generate_series(1, " + ROWS + ") g");
        Pg.exec("INSERT INTO " + q + ".m SELECT g, g, g FROM generate_series(1, " + ROWS + ") g");
        files.write("002_change.yaml", change);
        tandem.expand();
        return tandem;
    }

    private static void assertFilled(String schema) {
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".m"
                + " WHERE _tandem_new_v = v * 10 AND _tandem_backfilled")).isEqualTo((long) ROWS);
    }

    /**
     * The sync trigger function's calls as the statistics count them. A session's counts reach the shared
     * statistics at the latest when it ends, so this waits until the role's sessions (the backfill's) are gone.
     */
    private static long syncTriggerCalls(String schema) {
        String role = schema + "_role";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline
                && (Long) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE usename = ?", role) > 0) {
            sleep(50);
        }
        sleep(200);
        Object calls = Rows.scalar(Pg.dataSource(), "SELECT pg_stat_get_function_calls(g.tgfoid) FROM pg_trigger g"
                + " WHERE g.tgrelid = format('%I.m', ?::text)::regclass AND NOT g.tgisinternal", schema);
        return calls == null ? 0 : (Long) calls;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

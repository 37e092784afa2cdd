package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.TandemException;
import dev.tandem.testing.Background;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: non-superuser-owner — Tandem run by the role that owns the schema and its tables, LOGIN NOSUPERUSER, with
 * nothing else but CREATE on the database (for its state schema and the version schemas). The schema has row-level
 * security (PostgreSQL 15+: on 14 expand refuses it for every role), grants to an application role, a foreign key to
 * a table of another schema and owner (REFERENCES granted), and a user trigger. The whole lifecycle runs with writers
 * of both versions (as the application role) during the backfill, and a second migration is rolled back.
 */
class NonSuperuserOwnerTest {
    @TempDir
    Path dir;

    @Test
    void theOwnerOfTheTablesRunsEveryPhaseWithoutSuperuser() throws Exception {
        String schema = Pg.newSchema("owned");
        String owner = schema + "_owner", app = schema + "_app", ref = schema + "_ref";
        boolean rls = serverVersion() >= 150000;
        Pg.exec(("CREATE ROLE %2$s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; CREATE ROLE %3$s LOGIN NOSUPERUSER;"
                + "GRANT CREATE ON DATABASE postgres TO %2$s; ALTER SCHEMA %1$s OWNER TO %2$s;"
                + "CREATE SCHEMA %4$s; CREATE TABLE %4$s.countries (code text PRIMARY KEY);"
                + "INSERT INTO %4$s.countries VALUES ('fr'), ('de');"
                + "GRANT USAGE ON SCHEMA %4$s TO %2$s; GRANT REFERENCES ON %4$s.countries TO %2$s")
                .formatted(q(schema), q(owner), q(app), q(ref)));
        try (Connection c = Pg.dataSourceAs(owner).getConnection(); Statement st = c.createStatement()) {
            st.execute(("CREATE TABLE %1$s.users (id int PRIMARY KEY, tenant text NOT NULL DEFAULT 'a', name text NOT NULL,"
                    + " enabled int NOT NULL DEFAULT 1, country text REFERENCES %4$s.countries (code));"
                    + "CREATE FUNCTION %1$s.lower_tenant() RETURNS trigger LANGUAGE plpgsql AS $$"
                    + " BEGIN NEW.tenant := lower(NEW.tenant); RETURN NEW; END $$;"
                    + "CREATE TRIGGER lower_tenant BEFORE INSERT OR UPDATE ON %1$s.users FOR EACH ROW EXECUTE FUNCTION %1$s.lower_tenant();"
                    + "INSERT INTO %1$s.users (id, name, enabled, country) SELECT g, 'user ' || g, g %% 2, 'fr' FROM generate_series(1, 500) g;"
                    + "GRANT USAGE ON SCHEMA %1$s TO %3$s; GRANT SELECT, INSERT, UPDATE ON %1$s.users TO %3$s;"
                    + (rls ? "ALTER TABLE %1$s.users ENABLE ROW LEVEL SECURITY;"
                    + "CREATE POLICY tenant_a ON %1$s.users USING (tenant = 'a') WITH CHECK (tenant = 'a');" : ""))
                    .formatted(q(schema), q(owner), q(app), q(ref)));
        }
        Migrations files = new Migrations(dir).write("001_users.yaml", """
                operations:
                  - rename_column: {table: users, from: name, to: username}
                  - add_column: {table: users, column: {name: email, type: text, nullable: false}, up: "lower(name) || '@x.org'"}
                  - alter_column: {table: users, column: enabled, type: boolean, default: "true", up: "enabled <> 0", down: "CASE WHEN enabled THEN 1 ELSE 0 END"}
                  - alter_column: {table: users, column: country, type: "varchar(8)", up: "country", down: "country"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSourceAs(owner)).migrations(dir).schema(schema)
                .stateSchema(schema + "_state").load();
        assertThat(tandem.plan().plan().expand()).isNotEmpty();
        tandem.expand();

        DataSource oldApp = asApp(app, schema);
        DataSource newApp = asApp(app, schema + "_001_users," + schema);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean ready = new AtomicBoolean(); // the new version starts once its backfill completes
        AtomicInteger newIds = new AtomicInteger(20_000);
        AtomicInteger writes = new AtomicInteger();
        Future<?> writers = Background.THREADS.submit(() -> {
            for (int i = 0; !stop.get(); i++) {
                Rows.update(oldApp, "INSERT INTO users (id, tenant, name, enabled, country) VALUES (?, 'A', 'old', 0, 'de')", 10_000 + i);
                if (ready.get()) {
                    Rows.update(newApp, "INSERT INTO users (id, tenant, username, email, enabled, country) VALUES (?, 'A', 'new', 'n@x.org', true, 'fr')", newIds.getAndIncrement());
                }
                Rows.update(oldApp, "UPDATE users SET enabled = 1 WHERE id = ?", 1 + i % 500);
                writes.addAndGet(3);
            }
            return null;
        });
        Thread.sleep(200);
        tandem.backfill();
        ready.set(true);
        Thread.sleep(200);
        stop.set(true);
        writers.get();
        assertThat(writes.get()).isPositive();
        assertThat(tandem.verify().clean()).isTrue();
        // The contract guard sees an instance of the previous version that runs as another role: without
        // pg_read_all_stats, pg_stat_activity hides its state and address from the owner, but not its application_name.
        try (Connection node = asApp(app, schema).getConnection(); Statement st = node.createStatement()) {
            st.execute("SET application_name = 'tandem:base:node-1'");
            assertThatThrownBy(() -> tandem.contract(java.time.Duration.ZERO, false)).isInstanceOf(TandemException.class)
                    .hasMessageContaining("node-1 (version base");
        }
        tandem.contract();

        DataSource table = Pg.dataSourceAs(owner);
        String users = q(schema) + ".users";
        assertThat(Rows.scalar(table, "SELECT count(*) FROM " + users + " WHERE email IS NULL OR enabled IS NULL")).isEqualTo(0L);
        assertThat(Rows.query(table, "SELECT tenant, username, email, enabled, country::text AS country FROM " + users + " WHERE id IN (2, 10000, 20000) ORDER BY id"))
                .containsExactly(Map.of("tenant", "a", "username", "user 2", "email", "user 2@x.org", "enabled", true, "country", "fr"),
                        Map.of("tenant", "a", "username", "old", "email", "old@x.org", "enabled", false, "country", "de"),
                        Map.of("tenant", "a", "username", "new", "email", "n@x.org", "enabled", true, "country", "fr"));
        // The user's trigger shaped both versions' writes (tenant 'A' became 'a', which the policy then accepted).
        // What the schema carried is still there: the policy, the grant, the trigger, the foreign key to the other owner's table.
        assertThat(Rows.scalar(table, "SELECT count(*) FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'f'"
                + " AND confrelid = ?::regclass", users, q(ref) + ".countries")).isEqualTo(1L);
        assertThat(Rows.scalar(table, "SELECT count(*) FROM pg_trigger WHERE tgrelid = ?::regclass AND tgname = 'lower_tenant'", users))
                .isEqualTo(1L);
        assertThat(Rows.scalar(table, "SELECT has_table_privilege(?, ?, 'INSERT')", app, users)).isEqualTo(true);
        if (rls) assertThat(Rows.scalar(table, "SELECT count(*) FROM pg_policy WHERE polrelid = ?::regclass", users)).isEqualTo(1L);

        // A second migration, expanded with both versions writing, then rolled back to exactly the table it found.
        List<Map<String, Object>> before = Rows.query(table, "SELECT attname::text AS a FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", users);
        files.write("002_flag.yaml", """
                operations:
                  - add_column: {table: users, column: {name: vip, type: boolean, nullable: false}, up: "enabled"}
                """);
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        Rows.update(asApp(app, schema + "_001_users," + schema), "INSERT INTO users (id, username, email) VALUES (30000, 'x', 'x@x.org')");
        Rows.update(asApp(app, schema + "_002_flag," + schema), "INSERT INTO users (id, username, email, vip) VALUES (30001, 'y', 'y@x.org', true)");
        tandem.rollback();
        assertThat(Rows.query(table, "SELECT attname::text AS a FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", users)).isEqualTo(before);
        assertThat(Rows.scalar(table, "SELECT count(*) FROM " + users + " WHERE id IN (30000, 30001)")).isEqualTo(2L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT rolsuper FROM pg_roles WHERE rolname = ?", owner)).isEqualTo(false);
    }

    private static DataSource asApp(String role, String searchPath) {
        org.postgresql.ds.PGSimpleDataSource ds = (org.postgresql.ds.PGSimpleDataSource) Pg.dataSourceAs(role);
        ds.setCurrentSchema(searchPath);
        return ds;
    }

    private static String q(String name) {
        return "\"" + name + "\"";
    }

    private static int serverVersion() {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT current_setting('server_version_num')::int")).intValue();
    }
}

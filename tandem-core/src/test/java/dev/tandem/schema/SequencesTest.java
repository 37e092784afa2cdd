package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.migration.MigrationException;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sequences and defaults of columns a migration changes: a serial column widened to bigint keeps one sequence for
 * both versions, drawn from once per insert, owned by the new column after contract and widened with it; volatile
 * defaults give both forms of a row the same value; identity columns are refused for a type change, and renamed or
 * dropped like any other column.
 */
class SequencesTest {
    @TempDir
    Path dir;

    private Tandem tandem(String schema, String yaml) {
        new Migrations(dir).write("001_change.yaml", yaml);
        return Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
    }

    /** A schema set up by {@code setup} (its name as %1$s), with the migration expanded and a data source per version. */
    private record Expanded(String schema, String s, Tandem tandem, DataSource oldApp, DataSource newApp) {
    }

    private Expanded expanded(String prefix, String setup, String yaml) {
        String schema = Pg.newSchema(prefix);
        String s = "\"" + schema + "\"";
        Pg.exec(setup.formatted(s));
        Tandem tandem = tandem(schema, yaml);
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        return new Expanded(schema, s, tandem, Pg.dataSource(schema), Pg.dataSource(schema + "_001_change," + schema));
    }

    private static long insert(DataSource app, String sql) {
        return ((Number) Rows.query(app, sql).get(0).values().iterator().next()).longValue();
    }

    @Test
    void aSerialColumnWidenedToBigintKeepsOneSequenceDrawnOncePerInsert() {
        String schema = Pg.newSchema("serial");
        String s = "\"" + schema + "\"";
        Pg.exec(("CREATE TABLE %1$s.orders (id int PRIMARY KEY, order_no serial UNIQUE, item text);"
                + "INSERT INTO %1$s.orders (id, item) VALUES (1, 'a'), (2, 'b')").formatted(s));
        Tandem tandem = tandem(schema, """
                operations:
                  - alter_column: {table: orders, column: order_no, type: bigint, up: order_no, down: "order_no::integer"}
                """);
        assertThat(tandem.plan().plan().carried().toString()).contains("sequence orders_order_no_seq of column orders.order_no")
                .contains("as bigint").contains("drawn once per insert");
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        DataSource oldApp = Pg.dataSource(schema);
        DataSource newApp = Pg.dataSource(schema + "_001_change," + schema);
        assertThat(insert(oldApp, "INSERT INTO orders (id, item) VALUES (3, 'c') RETURNING order_no")).isEqualTo(3);
        assertThat(insert(newApp, "INSERT INTO orders (id, item) VALUES (4, 'd') RETURNING order_no")).isEqualTo(4);
        assertThat(insert(oldApp, "INSERT INTO orders (id, item) VALUES (5, 'e') RETURNING order_no")).isEqualTo(5);
        assertThat(insert(newApp, "INSERT INTO orders (id, item) VALUES (6, 'f') RETURNING order_no")).isEqualTo(6);
        // One value drawn per insert, whichever version wrote it: no gaps from a second default.
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT last_value FROM " + s + ".orders_order_no_seq")).isEqualTo(6L);
        // Both forms of each row agree.
        assertThat(Rows.query(newApp, "SELECT order_no FROM orders WHERE id > 2 ORDER BY id").toString())
                .isEqualTo(Rows.query(oldApp, "SELECT order_no FROM orders WHERE id > 2 ORDER BY id").toString())
                .isEqualTo("[{order_no=3}, {order_no=4}, {order_no=5}, {order_no=6}]");
        tandem.backfill();
        tandem.contract();

        assertThat(Rows.query(Pg.dataSource(), "SELECT pg_get_serial_sequence(?, 'order_no') AS seq,"
                        + " format_type(q.seqtypid, NULL) AS seq_type, q.seqmax, format_type(a.atttypid, a.atttypmod) AS type,"
                        + " pg_get_expr(d.adbin, d.adrelid) AS def"
                        + " FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum,"
                        + " pg_sequence q WHERE q.seqrelid = (" + "'" + s + ".orders_order_no_seq')::regclass"
                        + " AND a.attrelid = (?)::regclass AND a.attname = 'order_no'", s + ".orders", s + ".orders").toString())
                .isEqualTo("[{seq=" + schema + ".orders_order_no_seq, seq_type=bigint, seqmax=9223372036854775807, type=bigint,"
                        + " def=nextval('" + schema + ".orders_order_no_seq'::regclass)}]");
        assertThat(insert(newApp, "INSERT INTO orders (id, item) VALUES (7, 'g') RETURNING order_no")).isEqualTo(7);
        // Past where an integer sequence stops.
        Rows.query(Pg.dataSource(), "SELECT setval('" + s + ".orders_order_no_seq', 3000000000)");
        assertThat(insert(newApp, "INSERT INTO orders (id, item) VALUES (8, 'h') RETURNING order_no")).isEqualTo(3000000001L);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(DISTINCT order_no) FROM " + s + ".orders")).isEqualTo(8L);
    }

    @Test
    void aVolatileDefaultGivesBothFormsOfARowTheSameValue() {
        Expanded e = expanded("volatile", "CREATE TABLE %1$s.t (id int PRIMARY KEY, token uuid NOT NULL DEFAULT gen_random_uuid(),"
                + " at timestamp NOT NULL DEFAULT clock_timestamp()); INSERT INTO %1$s.t (id) VALUES (1)", """
                operations:
                  - alter_column: {table: t, column: token, type: text, up: "token::text", down: "token::uuid"}
                  - alter_column: {table: t, column: at, type: timestamptz, up: "at", down: "at"}
                """);
        String s = e.s();
        Tandem tandem = e.tandem();
        DataSource oldApp = e.oldApp(), newApp = e.newApp();
        Rows.update(oldApp, "INSERT INTO t (id) VALUES (2)");
        Rows.update(newApp, "INSERT INTO t (id) VALUES (3)");
        String inOld = Rows.query(oldApp, "SELECT id, token::text AS token, at::timestamptz AS at FROM t ORDER BY id").toString();
        assertThat(Rows.query(newApp, "SELECT id, token, at FROM t WHERE id > 1 ORDER BY id").toString())
                .isEqualTo(Rows.query(oldApp, "SELECT id, token::text AS token, at::timestamptz AS at FROM t WHERE id > 1 ORDER BY id").toString());
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(newApp, "SELECT id, token, at FROM t ORDER BY id").toString()).isEqualTo(inOld);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(DISTINCT token) FROM " + s + ".t")).isEqualTo(3L);
    }

    @Test
    void anIdentityColumnIsRefusedForAChangeNamingWhyAndWhatToDo() {
        String schema = Pg.newSchema("ident");
        Pg.exec("CREATE TABLE \"" + schema + "\".t (id int PRIMARY KEY, n integer GENERATED BY DEFAULT AS IDENTITY, label text)");
        Tandem tandem = tandem(schema, """
                operations:
                  - alter_column: {table: t, column: n, type: bigint, up: n, down: "n::integer"}
                """);
        assertThatThrownBy(tandem::plan).isInstanceOf(MigrationException.class)
                .hasMessageContaining("column \"n\" of \"t\" is an identity column")
                .hasMessageContaining("same sequence").hasMessageContaining("DROP IDENTITY");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema + "_001_change"))
                .isEqualTo(0L);
    }

    @Test
    void anIdentityColumnRenamedKeepsItsSequenceForBothVersions() {
        Expanded e = expanded("identren", "CREATE TABLE %1$s.t (id int PRIMARY KEY, n bigint GENERATED BY DEFAULT AS IDENTITY,"
                + " label text); INSERT INTO %1$s.t (id, label) VALUES (1, 'a')",
                "operations:\n  - rename_column: {table: t, from: n, to: number}\n");
        String schema = e.schema(), s = e.s();
        Tandem tandem = e.tandem();
        DataSource oldApp = e.oldApp(), newApp = e.newApp();
        assertThat(insert(oldApp, "INSERT INTO t (id, label) VALUES (2, 'b') RETURNING n")).isEqualTo(2);
        assertThat(insert(newApp, "INSERT INTO t (id, label) VALUES (3, 'c') RETURNING number")).isEqualTo(3);
        tandem.backfill();
        tandem.contract();
        assertThat(insert(newApp, "INSERT INTO t (id, label) VALUES (4, 'd') RETURNING number")).isEqualTo(4);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT attidentity::text FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attname = 'number'", s + ".t")).isEqualTo("d");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT pg_get_serial_sequence(?, 'number')", s + ".t")).isEqualTo(schema + ".t_n_seq");
    }

    @Test
    void anIdentityColumnDroppedGoesWithItsSequenceAfterBothVersionsDrewFromIt() {
        Expanded e = expanded("identdrop", "CREATE TABLE %1$s.t (id int PRIMARY KEY, n bigint GENERATED ALWAYS AS IDENTITY,"
                + " label text); INSERT INTO %1$s.t (id, label) VALUES (1, 'a')",
                "operations:\n  - drop_column: {table: t, column: n}\n");
        String schema = e.schema();
        Tandem tandem = e.tandem();
        DataSource oldApp = e.oldApp(), newApp = e.newApp();
        assertThat(insert(oldApp, "INSERT INTO t (id, label) VALUES (2, 'b') RETURNING n")).isEqualTo(2);
        Rows.update(newApp, "INSERT INTO t (id, label) VALUES (3, 'c')");
        assertThat(insert(oldApp, "SELECT n FROM t WHERE id = 3")).isEqualTo(3);
        tandem.backfill();
        tandem.contract();
        assertThat(Rows.query(newApp, "SELECT * FROM t ORDER BY id").toString())
                .isEqualTo("[{id=1, label=a}, {id=2, label=b}, {id=3, label=c}]");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relkind = 'S'", schema)).isEqualTo(0L);
    }
}

package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.dialect.Dialect;
import dev.tandem.engine.Names;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import dev.tandem.testing.TestDatabase;
import dev.tandem.testing.TestDatabase.OnEveryDatabase;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole rolling upgrade, one body for every database: expand, the previous version writing, backfill, the new
 * version writing through its version schema (a version database on MariaDB), both reading the same rows, contract,
 * and a second migration on top of the first (whose new names, on MariaDB, are aliases of physical columns that stay).
 */
class RollingUpgradeEverywhereTest {
    @TempDir
    Path dir;

    private static final String QTY_BIGINT = """
            operations:
              - alter_column: {table: items, column: qty, type: bigint, up: "qty", down: "qty"}
            """;

    private static final String RENAME_AND_TOTAL = """
            operations:
              - rename_column: {table: items, from: qty, to: quantity}
              - add_column:
                  table: items
                  column: {name: total, type: bigint}
                  up: "qty * 2"
            """;

    private String setUp(TestDatabase db) throws SQLException {
        String schema = db.newSchema("app");
        Dialect d = db.dialect();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            String items = d.qualify(schema, "items");
            st.execute("CREATE TABLE " + items + " (id bigint PRIMARY KEY, name varchar(50) NOT NULL, qty integer NOT NULL)");
            // An index over the column the migrations change: carried to its new form, the old one dropped with it.
            st.execute("CREATE INDEX items_qty ON " + items + " (qty)");
            StringBuilder insert = new StringBuilder("INSERT INTO " + items + " (id, name, qty) VALUES ");
            for (int i = 1; i <= 300; i++) insert.append(i == 1 ? "" : ", ").append("(").append(i).append(", 'item ").append(i)
                    .append("', ").append(i).append(")");
            st.execute(insert.toString());
        }
        return schema;
    }

    /** A session of one version: the base tables for the first one (no name), the version schema for the others. */
    private static Connection session(TestDatabase db, String schema, String version) throws SQLException {
        Connection c = db.dataSource().getConnection();
        if (version == null) {
            db.dialect().setSearchPath(c, List.of(schema));
        } else {
            db.dialect().setSearchPath(c, List.of(Names.versionSchema(schema, version), schema));
            db.dialect().setApplicationName(c, "tandem:" + version + ":test");
        }
        return c;
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static List<String> rows(Connection c, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) row.add(rs.getString(i));
                rows.add(String.join("|", row));
            }
        }
        return rows;
    }

    @OnEveryDatabase
    void anIntegerColumnBecomesBigintWhileBothVersionsWrite(TestDatabase db) throws SQLException {
        String schema = setUp(db);
        new Migrations(dir).write("002_qty_bigint.yaml", QTY_BIGINT);
        Tandem tandem = db.tandem(schema).migrations(dir).load();

        tandem.expand();
        try (Connection old = session(db, schema, null)) {
            exec(old, "UPDATE items SET qty = 700 WHERE id = 7");
            exec(old, "INSERT INTO items (id, name, qty) VALUES (1001, 'old', 11)");
        }
        assertThat(tandem.status().migrations().get(0).ready()).isFalse();
        tandem.backfill();
        assertThat(tandem.status().migrations().get(0).ready()).isTrue();
        try (Connection next = session(db, schema, "002_qty_bigint")) {
            exec(next, "INSERT INTO items (id, name, qty) VALUES (1002, 'new', 22)");
            exec(next, "UPDATE items SET qty = qty + 1 WHERE id = 8");
            assertThat(rows(next, "SELECT id, qty FROM items WHERE id IN (7, 8, 1001, 1002) ORDER BY id"))
                    .containsExactly("7|700", "8|9", "1001|11", "1002|22");
        }
        // The previous version sees the new version's writes too, translated back.
        try (Connection old = session(db, schema, null)) {
            assertThat(rows(old, "SELECT id, qty FROM items WHERE id IN (8, 1002) ORDER BY id")).containsExactly("8|9", "1002|22");
        }

        String contracted = tandem.contract().message();
        // What contract says of where applications go is what it did to the base table: on PostgreSQL the shadow column
        // took qty's name, on MariaDB it keeps its own, and only the version's views call it qty.
        String versionSchema = Names.versionSchema(schema, "002_qty_bigint");
        boolean physicalNameStays = ((Number) Rows.scalar(db.dataSource(), "SELECT count(*) FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = 'items' AND column_name = ?", schema,
                Names.shadowColumn("qty"))).longValue() == 1;
        assertThat(physicalNameStays).isEqualTo(!db.dialect().ddl().contractRenames());
        if (physicalNameStays) {
            assertThat(contracted).contains("applications keep using " + versionSchema).doesNotContain("directly");
        } else {
            assertThat(contracted).contains("applications use " + versionSchema + " (or " + schema + " directly");
        }
        try (Connection next = session(db, schema, "002_qty_bigint")) {
            exec(next, "INSERT INTO items (id, name, qty) VALUES (1003, 'big', 5000000000)");
            assertThat(rows(next, "SELECT count(*), sum(qty) FROM items")).containsExactly("303|" + (300L * 301 / 2 - 7 + 700 - 8 + 9 + 11 + 22 + 5_000_000_000L));
        }
    }

    @OnEveryDatabase
    void aSecondMigrationBuildsOnTheFirstsNames(TestDatabase db) throws SQLException {
        String schema = setUp(db);
        new Migrations(dir).write("002_qty_bigint.yaml", QTY_BIGINT).write("003_rename_and_total.yaml", RENAME_AND_TOTAL);
        Tandem tandem = db.tandem(schema).migrations(dir).load();
        tandem.expand();
        tandem.backfill();
        tandem.contract();

        tandem.expand();
        try (Connection previous = session(db, schema, "002_qty_bigint")) {
            exec(previous, "UPDATE items SET qty = 50 WHERE id = 5");
        }
        tandem.backfill();
        try (Connection next = session(db, schema, "003_rename_and_total")) {
            exec(next, "INSERT INTO items (id, name, quantity, total) VALUES (2000, 'n', 3, 6)");
            assertThat(rows(next, "SELECT id, quantity, total FROM items WHERE id IN (4, 5, 2000) ORDER BY id"))
                    .containsExactly("4|4|8", "5|50|100", "2000|3|6");
        }
        try (Connection previous = session(db, schema, "002_qty_bigint")) {
            assertThat(rows(previous, "SELECT id, qty FROM items WHERE id = 2000")).containsExactly("2000|3");
        }
        tandem.contract();
        try (Connection next = session(db, schema, "003_rename_and_total")) {
            exec(next, "UPDATE items SET quantity = quantity + 1 WHERE id = 4");
            assertThat(rows(next, "SELECT id, quantity, total FROM items WHERE id IN (4, 2000) ORDER BY id"))
                    .containsExactly("4|5|8", "2000|3|6");
        }
    }

    @OnEveryDatabase
    void rollbackLeavesThePreviousVersionAsItWas(TestDatabase db) throws SQLException {
        String schema = setUp(db);
        new Migrations(dir).write("002_qty_bigint.yaml", QTY_BIGINT);
        Tandem tandem = db.tandem(schema).migrations(dir).load();
        List<String> before;
        try (Connection old = session(db, schema, null)) {
            before = rows(old, "SELECT * FROM items ORDER BY id");
        }
        tandem.expand();
        tandem.backfill();
        try (Connection next = session(db, schema, "002_qty_bigint")) {
            exec(next, "UPDATE items SET qty = 77 WHERE id = 3");
        }
        tandem.rollback();
        try (Connection old = session(db, schema, null)) {
            List<String> after = rows(old, "SELECT * FROM items ORDER BY id");
            // Everything but the new version's one write, which the previous version got translated back.
            assertThat(after).hasSize(before.size()).contains("3|item 3|77");
            assertThat(rows(old, "SELECT * FROM items WHERE id <> 3 ORDER BY id")).isEqualTo(
                    before.stream().filter(r -> !r.startsWith("3|")).toList());
        }
        // Closed: on MariaDB a session with no default database left open blocks every later contract on the server.
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(db.dialect().schemaExists(c, Names.versionSchema(schema, "002_qty_bigint"))).isFalse();
        }
    }

    /**
     * A table renamed and a NOT NULL column without a default dropped: the new version's inserts leave the column out
     * and the sync trigger fills it with `down` until contract; after contract (on MariaDB with the table's physical
     * name kept and its old column given a placeholder default before the trigger goes) the new version goes on
     * writing under its names, and a third migration finds the table by the name the new version gave it.
     */
    @OnEveryDatabase
    void aRenamedTableLosesARequiredColumn(TestDatabase db) throws SQLException {
        String schema = setUp(db);
        new Migrations(dir).write("002_products.yaml", """
                operations:
                  - rename_table: {from: items, to: products}
                  - drop_column: {table: products, column: name, down: "'unnamed'"}
                """).write("003_price.yaml", """
                operations:
                  - add_column:
                      table: products
                      column: {name: price, type: bigint}
                      up: "qty * 10"
                """);
        Tandem tandem = db.tandem(schema).migrations(dir).load();
        tandem.expand();
        tandem.backfill();
        try (Connection next = session(db, schema, "002_products")) {
            exec(next, "INSERT INTO products (id, qty) VALUES (1001, 5)");
        }
        try (Connection old = session(db, schema, null)) {
            assertThat(rows(old, "SELECT id, name, qty FROM items WHERE id = 1001")).containsExactly("1001|unnamed|5");
        }
        tandem.contract();
        try (Connection next = session(db, schema, "002_products")) {
            exec(next, "INSERT INTO products (id, qty) VALUES (1002, 6)");
            exec(next, "UPDATE products SET qty = qty + 1 WHERE id = 1");
            assertThat(rows(next, "SELECT * FROM products WHERE id IN (1, 1001, 1002) ORDER BY id"))
                    .containsExactly("1|2", "1001|5", "1002|6");
        }
        tandem.expand();
        tandem.backfill();
        try (Connection third = session(db, schema, "003_price")) {
            assertThat(rows(third, "SELECT id, qty, price FROM products WHERE id IN (1, 1002) ORDER BY id"))
                    .containsExactly("1|2|20", "1002|6|60");
        }
        tandem.contract();
    }

    /**
     * MariaDB has no NOT VALID check, and sets NOT NULL on a live column only by an in-place rebuild that a busy table
     * lets in after many attempts; so a column that must be NOT NULL is added NOT NULL at expand (INSTANT), and the
     * new version's write that leaves it empty fails from then on, as PostgreSQL's check makes it fail. The previous
     * version's inserts get it from {@code up}. Contract's row check stays: should someone make the column nullable and
     * write a NULL, verify counts it and contract refuses naming the row, then sets NOT NULL again once it is filled.
     */
    @org.junit.jupiter.api.Test
    void onMariaDbAColumnThatBecomesNotNullIsNotNullFromExpandOn() throws SQLException {
        TestDatabase db = TestDatabase.MARIADB;
        String schema = setUp(db);
        new Migrations(dir).write("002_tier.yaml", """
                operations:
                  - add_column:
                      table: items
                      column: {name: tier, type: integer, nullable: false}
                      up: "qty"
                """);
        Tandem tandem = db.tandem(schema).migrations(dir).load();
        tandem.expand();
        assertThat(Rows.scalar(db.dataSource(), "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
                + " AND TABLE_NAME = 'items' AND COLUMN_NAME = 'tier'", schema)).isEqualTo("NO");
        // Rollback gives the column its placeholder back before it drops the trigger that fills it: in between, the
        // previous version's inserts leave it out (KillAnywhereTest saw "Field 'tier' doesn't have a default value").
        List<String> rollback = tandem.plan().plan().rollback().stream().map(st -> st.sql()).toList();
        int placeholder = indexOf(rollback, "SET DEFAULT"), dropTrigger = indexOf(rollback, "DROP TRIGGER");
        assertThat(placeholder).isNotNegative().isLessThan(dropTrigger);
        try (Connection old = db.dataSource().getConnection()) {
            exec(old, "INSERT INTO " + db.dialect().qualify(schema, "items") + " (id, name, qty) VALUES (1003, 'old', 7)");
        }
        tandem.backfill();
        try (Connection next = session(db, schema, "002_tier")) {
            assertThat(rows(next, "SELECT tier FROM items WHERE id = 1003")).containsExactly("7");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> exec(next, "INSERT INTO items (id, name, qty) VALUES (1001, 'no tier', 1)"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("tier");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> exec(next, "UPDATE items SET tier = NULL WHERE id = 1003"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("tier");
        }
        assertThat(tandem.verify().clean()).isTrue();
        // Someone makes the column nullable behind Tandem's back, and the new version writes a NULL.
        Rows.update(db.dataSource(), "ALTER TABLE " + db.dialect().qualify(schema, "items") + " MODIFY tier INT NULL");
        try (Connection next = session(db, schema, "002_tier")) {
            exec(next, "INSERT INTO items (id, name, qty) VALUES (1001, 'no tier', 1)");
        }
        var report = tandem.verify();
        assertThat(report.tables().get(0).findings().get("breaks NOT NULL of column tier").rows()).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(tandem::contract)
                .isInstanceOfSatisfying(dev.tandem.TandemException.class, e -> assertThat(e.kind())
                        .isEqualTo(dev.tandem.TandemException.Kind.REFUSED))
                .hasMessageContaining("NOT NULL of column tier").hasMessageContaining("1001");
        try (Connection next = session(db, schema, "002_tier")) {
            exec(next, "UPDATE items SET tier = 0 WHERE id = 1001");
        }
        tandem.contract();
        assertThat(Rows.scalar(db.dataSource(), "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
                + " AND TABLE_NAME = 'items' AND COLUMN_NAME = 'tier'", schema)).isEqualTo("NO");
    }

    /**
     * A NOT NULL column a unique index covers cannot be added with a placeholder at expand: every row not yet
     * backfilled would hold the same value and the index build fails on the duplicates (found by LockSafetyTest's
     * unique email, error 1062). Both kinds: a new unique NOT NULL column, and a unique NOT NULL column widened, whose
     * unique index is carried to its new form.
     */
    @org.junit.jupiter.api.Test
    void onMariaDbAUniqueColumnThatIsNotNullIsAddedNullableAndMadeNotNullAtContract() throws SQLException {
        TestDatabase db = TestDatabase.MARIADB;
        String schema = setUp(db);
        Rows.update(db.dataSource(), "CREATE UNIQUE INDEX items_name ON " + db.dialect().qualify(schema, "items") + " (name)");
        new Migrations(dir).write("002_code.yaml", """
                operations:
                  - add_column:
                      table: items
                      column: {name: code, type: bigint, nullable: false, unique: true}
                      up: "id + 1000"
                  - alter_column:
                      table: items
                      column: name
                      type: varchar(80)
                      up: "name"
                      down: "name"
                """);
        Tandem tandem = db.tandem(schema).migrations(dir).load();
        tandem.expand();
        try (Connection old = db.dataSource().getConnection()) {
            exec(old, "INSERT INTO " + db.dialect().qualify(schema, "items") + " (id, name, qty) VALUES (1003, 'old', 7)");
        }
        tandem.backfill();
        try (Connection next = session(db, schema, "002_code")) {
            assertThat(rows(next, "SELECT code FROM items WHERE id = 1003")).containsExactly("2003");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> exec(next, "UPDATE items SET code = 1001 WHERE id = 2"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("Duplicate");
        }
        tandem.contract();
        // Physical names stay on MariaDB: the new form of name keeps its shadow's name, so count rather than name them.
        assertThat(((Number) Rows.scalar(db.dataSource(), "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE"
                + " TABLE_SCHEMA = ? AND TABLE_NAME = 'items' AND IS_NULLABLE = 'YES'", schema)).longValue()).isZero();
    }

    private static int indexOf(List<String> statements, String containing) {
        for (int i = 0; i < statements.size(); i++) if (statements.get(i).contains(containing)) return i;
        return -1;
    }
}

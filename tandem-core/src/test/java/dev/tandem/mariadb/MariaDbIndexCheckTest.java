package dev.tandem.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.dialect.mariadb.MariaDbDialect;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The plan-time check that an index carried onto a shadow column can be built: on an empty temporary copy of the
 * table, which commits nothing; what it refuses, the table's own online build refuses too.
 */
class MariaDbIndexCheckTest {
    private final MariaDbDialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);
    private String db;

    @BeforeEach
    void setUp() {
        db = MariaDb.newDatabase("idxcheck");
        MariaDb.exec(db, "CREATE TABLE items (id INT PRIMARY KEY, code VARCHAR(100) CHARACTER SET utf8mb4, n INT,"
                        + " note TEXT, g INT AS (n + 1) VIRTUAL, UNIQUE KEY code_uq (code))",
                "INSERT INTO items (id, code, n) VALUES (1, 'a', 1)");
    }

    private static Catalog.IndexShape shape(String... columns) {
        return new Catalog.IndexShape("btree", java.util.Arrays.stream(columns)
                .map(c -> new Catalog.IndexKey(c, null, null, null, List.of(), false, true)).toList(),
                List.of(), false, List.of(), null, null);
    }

    private void check(String table, Map<String, String> added, Catalog.IndexShape shape, boolean unique) throws SQLException {
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            c.setAutoCommit(false);
            try {
                dialect.checkIndex(c, db, table, added, shape, unique);
            } finally {
                c.rollback();
            }
        }
    }

    @Test
    void anIndexThatFitsTheNewTypePasses() throws SQLException {
        check("items", Map.of("_tandem_new_n", "bigint"), shape("_tandem_new_n"), false);
        check("items", Map.of("_tandem_new_code", "varchar(200)"), shape("_tandem_new_code"), true);
        check("items", Map.of("_tandem_new_n", "bigint"), shape("code", "_tandem_new_n"), true);
        // Too long for a key, not unique: cut to a prefix, here as in the table's own ADD INDEX.
        check("items", Map.of("_tandem_new_code", "text"), shape("_tandem_new_code"), false);
        check("items", Map.of(), shape("g", "n"), false);
    }

    /**
     * A unique key over values longer than a key may be is kept by MariaDB as a hash over a hidden column, which the
     * table's own build refuses to add in place: the check refuses what the build would.
     */
    @Test
    void aUniqueKeyOverLongValuesIsRefusedAsTheTablesBuildRefusesIt() {
        assertThatThrownBy(() -> check("items", Map.of("_tandem_new_code", "text"), shape("_tandem_new_code"), true))
                .isInstanceOf(SQLException.class).hasMessageContaining("only as a hash of its values")
                .hasMessageContaining("without copying the table");
        assertThatThrownBy(() -> check("items", Map.of("_tandem_new_code", "varchar(1000)"), shape("_tandem_new_code", "note"), true))
                .isInstanceOf(SQLException.class).hasMessageContaining("only as a hash of its values");

        MariaDb.exec(db, "ALTER TABLE items ADD COLUMN _tandem_new_code TEXT");
        assertThatThrownBy(() -> MariaDbSteps.apply(new MariaDbDdl().createIndex(db, "items", "_tandem_code_uq",
                shape("_tandem_new_code"), true))).isInstanceOf(SQLException.class).hasMessageContaining("ALGORITHM=NOCOPY is not supported");
    }

    @Test
    void whatTheServerCannotIndexIsRefusedWithItsReason() {
        assertThatThrownBy(() -> check("items", Map.of("_tandem_new_n", "bigint"), shape("nosuch"), false))
                .isInstanceOf(SQLException.class).hasMessageContaining("Key column 'nosuch' doesn't exist")
                .hasMessageNotContaining("_tandem_index_check");
        assertThatThrownBy(() -> check("items", Map.of("_tandem_new_n", "bigint"),
                new Catalog.IndexShape("fulltext", shape("_tandem_new_n").keys(), List.of(), false, List.of(), null, null), false))
                .isInstanceOf(SQLException.class).hasMessageContaining("index method fulltext");
        assertThatThrownBy(() -> check("items", Map.of("_tandem_new_n", "bigint, x int"), shape("_tandem_new_n"), false))
                .isInstanceOf(SQLException.class).hasMessageContaining("is not a column type");
    }

    /** CREATE TEMPORARY TABLE ... LIKE refuses a partitioned table (1478); the copy is made another way. */
    @Test
    void aPartitionedTableIsCopiedToo() throws SQLException {
        MariaDb.exec(db, "CREATE TABLE parts (id INT PRIMARY KEY, n INT) PARTITION BY HASH (id) PARTITIONS 2");
        check("parts", Map.of("_tandem_new_n", "bigint"), shape("_tandem_new_n"), false);
    }

    @Test
    void nothingIsCommittedAndNoCopyIsLeft() throws SQLException {
        try (Connection c = MariaDb.dataSource(db).getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO items (id, code, n) VALUES (2, 'b', 2)");
            dialect.checkIndex(c, db, "items", Map.of("_tandem_new_n", "bigint"), shape("_tandem_new_n"), true);
            assertThatThrownBy(() -> dialect.checkIndex(c, db, "items", Map.of(), shape("nosuch"), false))
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM _tandem_index_check")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("doesn't exist");
            c.rollback();
        }
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM items")).isEqualTo(1L);
        assertThat(Rows.scalar(MariaDb.dataSource(db), "SELECT COUNT(*) FROM information_schema.STATISTICS"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items'", db)).as("the table's indexes are as they were").isEqualTo(2L);
    }
}

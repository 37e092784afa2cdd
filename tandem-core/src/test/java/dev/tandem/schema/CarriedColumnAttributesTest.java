package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A column whose type changes keeps what it carries through expand, writes of both versions, backfill and contract:
 * comment, statistics target, attribute options, storage, compression, collation, default and column privileges
 * compare equal in the catalog before and after, and the collation still orders as it did.
 */
class CarriedColumnAttributesTest {
    @TempDir
    Path dir;

    /** Per column, what the catalog says it carries (attstattarget: NULL for the default from PostgreSQL 17, -1 before). */
    static List<Map<String, Object>> attributes(String schema, String table) {
        return Rows.query(Pg.dataSource(), """
                SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment,
                       CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END AS statistics, a.attoptions::text AS options,
                       a.attstorage::text AS storage, co.collname::text AS collation, a.attcompression::text AS compression,
                       a.attacl::text AS acl, pg_get_expr(d.adbin, d.adrelid) AS default_expr, a.attnotnull
                FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                LEFT JOIN pg_collation co ON co.oid = a.attcollation
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE n.nspname = ? AND t.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attname""", schema, table);
    }

    @Test
    void aChangedColumnKeepsEverythingItCarriesAfterContract() {
        String schema = Pg.newSchema("carry");
        String role = schema + "_app";
        String s = "\"" + schema + "\"";
        Pg.exec(("CREATE ROLE \"%2$s\";"
                + "CREATE TABLE %1$s.t (id int PRIMARY KEY, qty integer NOT NULL DEFAULT 7, code text COLLATE \"C\", body text);"
                + "COMMENT ON COLUMN %1$s.t.qty IS 'how many';"
                + "ALTER TABLE %1$s.t ALTER COLUMN qty SET STATISTICS 500, ALTER COLUMN qty SET (n_distinct = 100);"
                + "COMMENT ON COLUMN %1$s.t.code IS 'it''s the code';"
                + "ALTER TABLE %1$s.t ALTER COLUMN code SET STORAGE EXTERNAL, ALTER COLUMN code SET COMPRESSION pglz;"
                + "GRANT USAGE ON SCHEMA %1$s TO \"%2$s\"; GRANT SELECT (id, qty, code) ON %1$s.t TO \"%2$s\";"
                + "GRANT UPDATE (code) ON %1$s.t TO \"%2$s\";"
                + "INSERT INTO %1$s.t VALUES (1, 3, 'b', 'x'), (2, 5, 'B', 'y')").formatted(s, role));
        List<Map<String, Object>> before = attributes(schema, "t");
        assertThat(before.toString()).contains("comment=how many", "statistics=500", "options={n_distinct=100}",
                "storage=e", "collation=C", "compression=p", "default_expr=7");

        new Migrations(dir).write("001_wider.yaml", """
                operations:
                  - alter_column: {table: t, column: qty, type: bigint, up: qty, down: "qty::integer"}
                  - alter_column: {table: t, column: code, type: "varchar(20)", up: code, down: code}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        assertThat(tandem.plan().plan().carried().toString())
                .contains("column t.qty comment, statistics target 500, options n_distinct=100")
                .contains("column t.code collation \"C\"").contains("column t.code storage and compression");
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        DataSource oldApp = Pg.dataSource(schema);
        DataSource newApp = Pg.dataSource(schema + "_001_wider," + schema);
        Rows.update(oldApp, "INSERT INTO t (id, code) VALUES (3, 'a')");
        Rows.update(newApp, "INSERT INTO t (id, code) VALUES (4, 'A')");
        tandem.backfill();
        tandem.contract();

        List<Map<String, Object>> after = attributes(schema, "t");
        // The same column by column, but for the types the migration changed.
        assertThat(after.toString()).isEqualTo(before.toString());
        assertThat(Rows.query(Pg.dataSource(), "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                + " WHERE attrelid = '" + s + ".t'::regclass AND attname IN ('qty', 'code') ORDER BY attname").toString())
                .isEqualTo("[{type=character varying(20)}, {type=bigint}]");
        assertThat(Rows.query(newApp, "SELECT id, qty, code FROM t ORDER BY code").toString())
                .isEqualTo("[{id=4, qty=7, code=A}, {id=2, qty=5, code=B}, {id=3, qty=7, code=a}, {id=1, qty=3, code=b}]");
    }
}

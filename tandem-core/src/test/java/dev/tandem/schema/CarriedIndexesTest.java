package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.engine.Plan;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * case: carry-indexes — every index over a column whose type changes is carried to its new form with its whole
 * definition (uniqueness, predicate, expressions, INCLUDE, order and nulls, method, collation, operator class,
 * storage parameters, REPLICA IDENTITY and CLUSTER marks), built concurrently at expand and in place after contract:
 * {@code pg_get_indexdef} reads the same before and after, and the index still does its job for writes of both
 * versions.
 */
class CarriedIndexesTest {
    @TempDir
    Path dir;

    /** Every index of table t and how PostgreSQL prints it, with the schema's name taken out. */
    static Map<String, Object> indexes(String schema) {
        Map<String, Object> result = new TreeMap<>();
        for (var row : Rows.query(Pg.dataSource(), "SELECT i.relname, pg_get_indexdef(i.oid) AS def, x.indisreplident,"
                + " x.indisclustered, x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE x.indrelid = ?::regclass", "\"" + schema + "\".t")) {
            result.put((String) row.get("relname"), String.valueOf(row.get("def")).replace("\"" + schema + "\".", "")
                    .replace(schema + ".", "") + (Boolean.TRUE.equals(row.get("indisreplident")) ? " [replica identity]" : "")
                    + (Boolean.TRUE.equals(row.get("indisclustered")) ? " [clustered]" : "")
                    + (Boolean.TRUE.equals(row.get("indisvalid")) ? "" : " [invalid]"));
        }
        return result;
    }

    static Map<String, Object> constraints(String schema) {
        Map<String, Object> result = new TreeMap<>();
        for (var row : Rows.query(Pg.dataSource(), "SELECT conname, pg_get_constraintdef(oid) AS def, convalidated"
                + " FROM pg_constraint WHERE conrelid = ?::regclass", "\"" + schema + "\".t")) {
            result.put((String) row.get("conname"), row.get("def") + (Boolean.TRUE.equals(row.get("convalidated")) ? "" : " [not valid]"));
        }
        return result;
    }

    @Test
    void everyIndexOfAChangedTextColumnKeepsItsWholeDefinition() {
        String schema = Pg.newSchema("carry_idx");
        String t = "\"" + schema + "\".t";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, email varchar(100) NOT NULL, n int NOT NULL DEFAULT 0, note text,"
                + " CONSTRAINT t_email_key UNIQUE (email));"
                + "CREATE UNIQUE INDEX t_lower_email_active ON " + t + " (lower(email)) WHERE n > 0;"
                + "CREATE INDEX t_email_incl ON " + t + " (email) INCLUDE (note);"
                + "CREATE INDEX t_email_desc ON " + t + " (email DESC NULLS LAST, n NULLS FIRST);"
                + "CREATE INDEX t_email_c ON " + t + " (email COLLATE \"C\");"
                + "CREATE INDEX t_email_pattern ON " + t + " (email text_pattern_ops);"
                + "CREATE INDEX t_email_ff ON " + t + " (email) WITH (fillfactor = 70);"
                + "CREATE INDEX t_email_hash ON " + t + " USING hash (email);"
                + "CREATE INDEX t_email_words ON " + t + " USING gin (to_tsvector('simple', email));"
                + "CREATE INDEX t_note ON " + t + " (note);"
                + "ALTER TABLE " + t + " REPLICA IDENTITY USING INDEX t_email_key;"
                + "ALTER TABLE " + t + " CLUSTER ON t_email_incl;"
                + "INSERT INTO " + t + " VALUES (1, 'Ann@x.org', 1, 'a'), (2, 'bob@x.org', 0, 'b')");
        Map<String, Object> before = indexes(schema);
        new Migrations(dir).write("001_email_wider.yaml", """
                operations:
                  - alter_column: {table: t, column: email, type: "varchar(200)", up: "email", down: "email::varchar(100)"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();

        Plan plan = tandem.plan().plan();
        assertThat(plan.carried()).extracting(Plan.Carried::object).contains("index \"t_lower_email_active\" on t",
                "index \"t_email_key\" on t", "index \"t_email_words\" on t").doesNotContain("index \"t_note\" on t");
        assertThat(plan.carried()).filteredOn(c -> c.object().equals("index \"t_email_key\" on t"))
                .extracting(Plan.Carried::how).singleElement().asString()
                .contains("CONCURRENTLY").contains("unique constraint").contains("REPLICA IDENTITY");

        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        DataSource oldVersion = Pg.dataSource(schema);
        DataSource newVersion = Pg.dataSource(schema + "_001_email_wider");
        Rows.update(oldVersion, "INSERT INTO t VALUES (3, 'carol@x.org', 1, 'c')");
        Rows.update(newVersion, "INSERT INTO t (id, email, n, note) VALUES (4, 'dan@x.org', 1, 'd')");
        // The rebuilt unique indexes already hold for the new version's writes, and for the old version's.
        assertThatThrownBy(() -> Rows.update(newVersion, "INSERT INTO t (id, email, n) VALUES (5, 'ANN@x.org', 2)"))
                .hasMessageContaining("lower_email_active");
        assertThatThrownBy(() -> Rows.update(oldVersion, "INSERT INTO t VALUES (6, 'DAN@x.org', 3, 'x')"))
                .hasMessageContaining("lower_email_active");
        tandem.backfill();
        tandem.contract();

        assertThat(indexes(schema)).isEqualTo(before);
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attname = 'email'", t)).isEqualTo("character varying(200)");
        // Each still does its job: uniqueness, and uniqueness only within its predicate.
        assertThatThrownBy(() -> Pg.exec("INSERT INTO " + t + " (id, email, n) VALUES (7, 'bob@x.org', 0)")).hasMessageContaining("t_email_key");
        assertThatThrownBy(() -> Pg.exec("INSERT INTO " + t + " (id, email, n) VALUES (8, 'CAROL@x.org', 5)")).hasMessageContaining("t_lower_email_active");
        Pg.exec("INSERT INTO " + t + " (id, email, n) VALUES (9, 'BOB@x.org', 0)");
        assertThat(Rows.scalar(Pg.dataSource(), "SELECT contype::text FROM pg_constraint WHERE conrelid = ?::regclass"
                + " AND conname = 't_email_key'", t)).isEqualTo("u");
    }

    @Test
    void indexesOfAnIntegerBecomingBigintKeepTheirMethodPredicateAndExpressions() {
        String schema = Pg.newSchema("carry_idx_int");
        String t = "\"" + schema + "\".t";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, n int, at timestamptz NOT NULL DEFAULT now());"
                + "CREATE UNIQUE INDEX t_n_positive ON " + t + " (n) WHERE n > 0;"
                + "CREATE INDEX t_n_brin ON " + t + " USING brin (n) WITH (pages_per_range = 16);"
                + "CREATE INDEX t_n_range ON " + t + " USING gist (numrange(n, n + 10));"
                + "CREATE INDEX t_n_hash ON " + t + " USING hash (n);"
                + "CREATE INDEX t_recent ON " + t + " (at DESC) WHERE n IS NOT NULL;"
                + "INSERT INTO " + t + " (id, n) VALUES (1, 1), (2, -1), (3, NULL)");
        Map<String, Object> before = indexes(schema);
        new Migrations(dir).write("001_n_bigint.yaml", """
                operations:
                  - alter_column: {table: t, column: n, type: bigint, up: "n", down: "n::int"}
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        tandem.expand();
        tandem.backfill(); // the new version is ready only then
        DataSource newVersion = Pg.dataSource(schema + "_001_n_bigint");
        Rows.update(Pg.dataSource(schema), "INSERT INTO t (id, n) VALUES (4, -1)");
        Rows.update(newVersion, "INSERT INTO t (id, n) VALUES (5, 5)");
        assertThatThrownBy(() -> Rows.update(newVersion, "INSERT INTO t (id, n) VALUES (6, 1)")).hasMessageContaining("t_n_positive");
        tandem.backfill();
        tandem.contract();
        assertThat(indexes(schema)).isEqualTo(before);
        Pg.exec("INSERT INTO " + t + " (id, n) VALUES (7, -1)"); // the predicate: only positive ones are unique
        assertThatThrownBy(() -> Pg.exec("INSERT INTO " + t + " (id, n) VALUES (8, 5)")).hasMessageContaining("t_n_positive");
    }
}

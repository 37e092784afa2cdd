package dev.tandem.schema;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code plan} on PostgreSQL names the user's row triggers that fire for every row the backfill fills (with a user
 * trigger on the table the backfill never leaves triggers unfired), and only those: a trigger on {@code UPDATE OF}
 * other columns and a statement trigger are not named.
 */
class BackfillTriggersNoticeTest {
    @TempDir
    Path dir;

    @Test
    void planNamesTheRowUpdateTriggersTheBackfillFires() {
        String schema = Pg.newSchema("bftrig");
        String t = "\"" + schema + "\".orders";
        Pg.exec("CREATE TABLE " + t + " (id int PRIMARY KEY, amount int NOT NULL, updated_count int NOT NULL DEFAULT 0);"
                + "CREATE FUNCTION \"" + schema + "\".bump() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$BEGIN NEW.updated_count := OLD.updated_count + 1; RETURN NEW; END$$;"
                + "CREATE FUNCTION \"" + schema + "\".nothing() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;"
                + "CREATE TRIGGER counts BEFORE UPDATE ON " + t + " FOR EACH ROW EXECUTE FUNCTION \"" + schema + "\".bump();"
                + "CREATE TRIGGER audits AFTER INSERT OR UPDATE ON " + t + " FOR EACH ROW EXECUTE FUNCTION \"" + schema + "\".nothing();"
                + "CREATE TRIGGER amount_only AFTER UPDATE OF amount ON " + t + " FOR EACH ROW EXECUTE FUNCTION \"" + schema + "\".nothing();"
                + "CREATE TRIGGER per_statement AFTER UPDATE ON " + t + " FOR EACH STATEMENT EXECUTE FUNCTION \"" + schema + "\".nothing();"
                + "INSERT INTO " + t + " (id, amount) VALUES (1, 10), (2, 20)");
        new Migrations(dir).write("001_note.yaml", """
                operations:
                  - add_column:
                      table: orders
                      column: {name: note, type: text, nullable: true}
                      up: "'amount ' || amount"
                """);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema).load();
        assertThat(tandem.plan().plan().notices()).filteredOn(n -> n.startsWith("the backfill of")).singleElement()
                .satisfies(n -> assertThat(n).contains("orders", "triggers \"audits\", \"counts\" once for every row"
                        + " it fills", "compare OLD and NEW").doesNotContain("amount_only", "per_statement"));
    }
}

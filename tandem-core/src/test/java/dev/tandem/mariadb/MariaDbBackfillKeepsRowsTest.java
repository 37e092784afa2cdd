package dev.tandem.mariadb;

import dev.tandem.Tandem;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.MariaDbServer;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backfill on MariaDB writes only the columns Tandem added: a row no application wrote during the migration keeps
 * its {@code ON UPDATE CURRENT_TIMESTAMP} columns (DATETIME(6) and TIMESTAMP), which the server would otherwise set
 * to the backfill's time; and {@code plan} names the user's UPDATE trigger that the backfill cannot help firing.
 */
class MariaDbBackfillKeepsRowsTest {
    private static final String OLD_TIME = "2001-02-03 04:05:06.123456";
    private static final String OLD_SECOND = "2001-02-03 04:05:06";

    @TempDir
    Path dir;
    String db;
    Tandem tandem;

    @BeforeEach
    void setUp() {
        db = MariaDb.newDatabase("keeps");
        MariaDb.exec(db, "CREATE TABLE orders (id INT PRIMARY KEY, amount INT NOT NULL,"
                        + " updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),"
                        + " touched TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
                        + " updated_count INT NOT NULL DEFAULT 0)",
                "INSERT INTO orders (id, amount) VALUES " + String.join(", ", java.util.stream.IntStream
                        .rangeClosed(1, 300).mapToObj(n -> "(" + n + ", " + n * 10 + ")").toList()),
                "UPDATE orders SET updated_at = '" + OLD_TIME + "', touched = '" + OLD_SECOND + "'",
                "CREATE TRIGGER orders_count BEFORE UPDATE ON orders FOR EACH ROW"
                        + " SET NEW.updated_count = OLD.updated_count + 1");
        new Migrations(dir).write("001_note.yaml", """
                operations:
                  - add_column:
                      table: orders
                      column: {name: note, type: varchar(40), nullable: true}
                      up: "CONCAT('amount ', amount)"
                """);
        tandem = Tandem.configure().url(MariaDb.url(db), "root", MariaDbServer.PASSWORD)
                .stateSchema(MariaDb.newDatabase("state")).migrations(dir).load();
    }

    @Test
    void theBackfillLeavesOnUpdateColumnsAsTheApplicationWroteThem() {
        tandem.expand();
        tandem.backfill();
        String orders = MariaDb.quote(db) + ".orders";
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + orders + " WHERE updated_at = '" + OLD_TIME
                + "' AND touched = '" + OLD_SECOND + "'")).as("rows keeping the time the application wrote them")
                .isEqualTo(300L);
        // What plan warns of: the user's trigger counted the backfill's write of each row.
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + orders + " WHERE updated_count = 1"))
                .isEqualTo(300L);
        // The application's own writes are still stamped by the server.
        MariaDb.exec(db, "UPDATE orders SET amount = amount + 1 WHERE id = 7");
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + orders + " WHERE updated_at > '"
                + OLD_TIME + "' AND touched > '" + OLD_SECOND + "'")).isEqualTo(1L);
    }

    /** What README tells the user to do, so that it is known to work: the trigger compares the columns it counts. */
    @Test
    void aTriggerThatComparesTheApplicationsColumnsDoesNotCountTheBackfill() {
        MariaDb.exec(db, "DROP TRIGGER orders_count", "CREATE TRIGGER orders_count BEFORE UPDATE ON orders FOR EACH ROW"
                + " BEGIN IF NOT (NEW.amount <=> OLD.amount) THEN SET NEW.updated_count = OLD.updated_count + 1; END IF; END");
        tandem.expand();
        tandem.backfill();
        String orders = MariaDb.quote(db) + ".orders";
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + orders + " WHERE updated_count = 0"))
                .isEqualTo(300L);
        MariaDb.exec(db, "UPDATE orders SET amount = amount + 1 WHERE id = 7");
        assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT updated_count FROM " + orders + " WHERE id = 7")).isEqualTo(1);
    }

    @Test
    void planNamesTheUpdateTriggerTheBackfillFires() {
        Tandem.PlanReport report = tandem.plan();
        assertThat(report.plan().notices()).anySatisfy(n -> assertThat(n)
                .contains("the backfill of", "orders", "\"orders_count\"", "once for every row it fills",
                        "compare OLD and NEW"));
    }
}

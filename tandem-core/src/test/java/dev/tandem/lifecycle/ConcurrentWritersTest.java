package dev.tandem.lifecycle;

import dev.tandem.Tandem;
import dev.tandem.testing.Migrations;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two old-version and two new-version writers run without pause through expand and backfill of a migration that
 * renames a column and changes a type; the old ones stop before contract, the new ones go on through it.
 * No writer may see an error, and no row may hold old and new forms that disagree.
 */
public class ConcurrentWritersTest {
    public static final String V1 = """
            operations:
              - create_table:
                  table: accounts
                  columns:
                    - {name: id, type: bigint, primary_key: true, generated: identity}
                    - {name: name, type: text, nullable: false}
                    - {name: enabled, type: integer, nullable: false, default: "1"}
            """;
    public static final String V2 = """
            operations:
              - rename_column: {table: accounts, from: name, to: username}
              - alter_column:
                  table: accounts
                  column: enabled
                  type: boolean
                  default: "true"
                  up: "enabled <> 0"
                  down: "CASE WHEN enabled THEN 1 ELSE 0 END"
            """;

    @TempDir
    Path dir;

    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    final AtomicLong writes = new AtomicLong();

    @Test
    void noErrorsAndNoDisagreeingRows() throws Exception {
        String schema = Pg.newSchema("conc");
        new Migrations(dir).write("001_init.yaml", V1);
        Tandem tandem = Tandem.configure().dataSource(Pg.dataSource()).migrations(dir).schema(schema)
                .batchSize(50, 200).load();
        tandem.migrate();
        DataSource oldApp = Pg.dataSource(schema + "_001_init," + schema);
        Rows.update(oldApp, "INSERT INTO accounts (name, enabled) SELECT 'user' || g, g % 2 FROM generate_series(1, 3000) g");
        new Migrations(dir).write("002_rename_and_type.yaml", V2);

        AtomicBoolean stopOld = new AtomicBoolean();
        AtomicBoolean stopNew = new AtomicBoolean();
        List<Thread> oldWriters = List.of(writer("old-1", oldApp, false, stopOld), writer("old-2", oldApp, false, stopOld));
        oldWriters.forEach(Thread::start);
        Thread.sleep(300);
        tandem.expand();
        Thread.sleep(300);
        // The backfill runs under the previous version's writes; the new version starts once it is ready.
        tandem.backfill();
        DataSource newApp = Pg.dataSource(schema + "_002_rename_and_type," + schema);
        List<Thread> newWriters = List.of(writer("new-1", newApp, true, stopNew), writer("new-2", newApp, true, stopNew));
        newWriters.forEach(Thread::start);
        Thread.sleep(300);

        assertThat(Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM \"" + schema + "\".accounts"
                + " WHERE _tandem_new_enabled IS DISTINCT FROM (enabled <> 0) OR _tandem_backfilled IS NOT TRUE"))
                .as("rows whose forms disagree, or that were never filled").isEqualTo(0L);

        stopOld.set(true);
        for (Thread t : oldWriters) t.join();
        tandem.contract();
        Thread.sleep(300);
        stopNew.set(true);
        for (Thread t : newWriters) t.join();

        assertThat(errors).as("errors seen by the application").isEmpty();
        assertThat(writes.get()).isGreaterThan(100);
        assertThat(Rows.scalar(newApp, "SELECT count(*) FROM accounts WHERE enabled IS NULL OR username IS NULL")).isEqualTo(0L);
    }

    private Thread writer(String name, DataSource ds, boolean newVersion, AtomicBoolean stop) {
        return new Thread(() -> {
            Random random = new Random(name.hashCode());
            String nameColumn = newVersion ? "username" : "name";
            try (Connection c = ds.getConnection()) {
                while (!stop.get()) {
                    int op = random.nextInt(3);
                    long id = 1 + random.nextInt(3000);
                    String sql = switch (op) {
                        case 0 -> "INSERT INTO accounts (" + nameColumn + ", enabled) VALUES (?, " + (newVersion ? "?::boolean" : "?::integer") + ")";
                        case 1 -> "UPDATE accounts SET enabled = " + (newVersion ? "?::boolean" : "?::integer") + " WHERE id = ?";
                        default -> "UPDATE accounts SET " + nameColumn + " = ? WHERE id = ?";
                    };
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        String flag = newVersion ? String.valueOf(random.nextBoolean()) : String.valueOf(random.nextInt(2));
                        switch (op) {
                            case 0 -> { ps.setString(1, name + "-" + random.nextInt()); ps.setString(2, flag); }
                            case 1 -> { ps.setString(1, flag); ps.setLong(2, id); }
                            default -> { ps.setString(1, name + "-" + random.nextInt()); ps.setLong(2, id); }
                        }
                        ps.executeUpdate();
                        writes.incrementAndGet();
                    } catch (Exception e) {
                        errors.add(name + ": " + e.getMessage());
                        if (errors.size() > 20) return;
                    }
                }
            } catch (Exception e) {
                errors.add(name + ": " + e.getMessage());
            }
        }, name);
    }
}

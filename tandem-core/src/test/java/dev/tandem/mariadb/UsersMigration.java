package dev.tandem.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Ddl.Assignment;
import dev.tandem.dialect.Ddl.Binding;
import dev.tandem.dialect.Ddl.ViewColumn;
import dev.tandem.dialect.mariadb.MariaDbDdl;
import dev.tandem.engine.Names;
import dev.tandem.engine.Step;
import dev.tandem.testing.MariaDb;

import java.util.ArrayList;
import java.util.List;

/**
 * One migration on a MariaDB table, as the planner would describe it to MariaDbDdl: table {@code users (id, name,
 * n INT NOT NULL, email)} becomes, for version {@code 002_wide}, {@code (id, full_name, n BIGINT, email, display)}:
 * {@code name} renamed (an alias in the view), {@code n} widened through the shadow column {@code _tandem_new_n}
 * ({@code up: n}, {@code down: n}), and a new column {@code display} ({@code up: UPPER(name)}).
 */
final class UsersMigration {
    static final String VERSION = "002_wide";
    static final String SHADOW = Names.shadowColumn("n");

    final MariaDbDdl ddl = new MariaDbDdl();
    final String database;
    final String table;
    final String versionDatabase;
    final String previousVersion;
    final List<Catalog.Trigger> userTriggers;

    UsersMigration(String prefix) {
        this(prefix, "users", null, List.of());
    }

    UsersMigration(String prefix, String table, String previousVersion, List<Catalog.Trigger> userTriggers) {
        this(MariaDb.newDatabase(prefix), table, previousVersion, userTriggers, true);
    }

    private UsersMigration(String database, String table, String previousVersion, List<Catalog.Trigger> userTriggers,
                           boolean create) {
        this.database = database;
        this.table = table;
        this.versionDatabase = Names.versionSchema(database, VERSION);
        this.previousVersion = previousVersion;
        this.userTriggers = userTriggers;
        if (create) {
            MariaDb.exec(database, "CREATE TABLE " + MariaDb.quote(table) + " (id INT AUTO_INCREMENT PRIMARY KEY,"
                    + " name VARCHAR(50), n INT NOT NULL, email VARCHAR(100)) ENGINE=InnoDB");
        }
    }

    /** The migration of a {@code users} table the test made itself, with {@code userTriggers} already on it. */
    static UsersMigration on(String database, List<Catalog.Trigger> userTriggers) {
        return new UsersMigration(database, "users", null, userTriggers, false);
    }

    Ddl.SyncTrigger syncTrigger() {
        List<Binding> oldBindings = List.of(new Binding("id", "id"), new Binding("name", "name"), new Binding("n", "n"),
                new Binding("email", "email"));
        List<Binding> newBindings = List.of(new Binding("id", "id"), new Binding("full_name", "name"),
                new Binding("n", SHADOW), new Binding("email", "email"), new Binding("display", "display"));
        List<Assignment> fills = List.of(new Assignment(SHADOW, "n", null), new Assignment("display", "UPPER(name)", null));
        List<Assignment> ups = List.of(new Assignment(SHADOW, "n", null), new Assignment("display", "UPPER(name)", null));
        List<Assignment> downs = List.of(new Assignment("n", "n", SHADOW));
        String previousSchema = previousVersion == null ? null : Names.versionSchema(database, previousVersion);
        List<String> shadowing = new ArrayList<>(List.of(database));
        if (previousSchema != null) shadowing.add(previousSchema);
        return new Ddl.SyncTrigger(database, table, "tandem", Names.syncFunction(database, table, VERSION),
                Names.syncTrigger(VERSION), versionDatabase, shadowing, oldBindings, newBindings, fills, ups, downs,
                List.of(), Names.DONE_COLUMN, userTriggers.isEmpty() ? null : Names.syncTriggerFirst(VERSION), List.of(),
                VERSION, previousVersion, userTriggers);
    }

    /** The expand steps, in the planner's order: columns, sync triggers; then the version database (publish). */
    List<Step> expand() {
        return MariaDbSteps.flat(
                ddl.addColumn(database, table, SHADOW, "BIGINT"),
                ddl.addColumn(database, table, "display", "VARCHAR(50)"),
                ddl.addColumn(database, table, Names.DONE_COLUMN, "BOOLEAN"),
                ddl.createSyncTrigger(syncTrigger()));
    }

    List<Step> publish() {
        return List.of(ddl.createSchema(versionDatabase), ddl.createView(versionDatabase, table, database, table, List.of(
                new ViewColumn("id", "id"), new ViewColumn("name", "full_name"), new ViewColumn(SHADOW, "n"),
                new ViewColumn("email", "email"), new ViewColumn("display", "display")), true));
    }

    /** Expand, then publish, as Tandem would with nothing left to backfill. */
    UsersMigration expanded() {
        expand().forEach(MariaDbSteps::run);
        publish().forEach(MariaDbSteps::run);
        return this;
    }

    /** What a backfill batch does: computes the new form of rows not yet done and flags them, from the old row. */
    String backfillBatch(int fromId, int toId) {
        return "UPDATE " + MariaDb.quote(database) + "." + MariaDb.quote(table) + " SET " + MariaDb.quote(SHADOW) + " = n,"
                + " display = UPPER(name), " + Names.DONE_COLUMN + " = TRUE WHERE id BETWEEN " + fromId + " AND " + toId
                + " AND " + Names.DONE_COLUMN + " IS NOT TRUE";
    }

    String qualified() {
        return MariaDb.quote(database) + "." + MariaDb.quote(table);
    }
}

package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.mariadb.MariaDbDialect.Flavor;
import dev.tandem.dialect.mariadb.OnlineAlter.Algorithm;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Step;
import dev.tandem.engine.Step.Effect;
import dev.tandem.engine.Step.Mode;
import dev.tandem.engine.TableLock;
import dev.tandem.migration.ColumnDef;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.qualify;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;
import static dev.tandem.dialect.mariadb.MariaDbNames.quoteAll;

/**
 * MariaDB DDL (10.11 and 11.4): a schema of Tandem's is a MariaDB database, a version schema a version database.
 *
 * <p>Every ALTER names its algorithm and {@code LOCK=NONE} (see {@link OnlineAlter}), so the server refuses what it
 * could only do by copying the table; such changes go through a shadow column, sync triggers and a backfill instead.
 * A catalog-only statement waits for its metadata lock at most the executor's lock timeout; one that works for a while
 * takes it at once or fails (NOWAIT); either is retried by the executor (see {@link OnlineAlter}). DDL commits on its own in MariaDB, so every step is idempotent by
 * itself: IF [NOT] EXISTS, CREATE OR REPLACE, or a skipIf query against information_schema.
 *
 * <p>Locks are named in PostgreSQL's words, as {@link LockMode} has them, for what the application notices: a
 * statement that holds the table's exclusive metadata lock, however briefly (every ALTER at its start and end, CREATE
 * and DROP TRIGGER), claims ACCESS EXCLUSIVE; an in-place build or rebuild, which lets reads and writes go on between
 * those two moments, claims SHARE UPDATE EXCLUSIVE for its long part, and its description says both. A statement's
 * lock on a table its foreign keys reference did not conflict with a writer's open transaction there (measured:
 * MariaDbDdlTest.foreignKeysDoNotBlockTheReferencedTable) and is claimed as ACCESS SHARE.
 *
 * <p>A step's SQL is one statement, or several separated by {@code ;} and a new line (the sync triggers, grants, the
 * anonymous blocks that read the live catalog are single statements): the connection that runs them needs
 * {@code allowMultiQueries=true} (mariadb-java-client), and the server parses trigger and block bodies itself.
 *
 * <p>What MariaDB has no counterpart for, or cannot do without copying the table, throws
 * {@link UnsupportedOperationException} saying so, when the plan is made: nothing has run.
 */
public final class MariaDbDdl implements Ddl {
    private final Flavor flavor;
    private final OnlineAlter alter;
    /** What the MySQL flavor runs where MariaDB has a statement MySQL lacks. */
    private final MySqlForms mysql;

    /** MariaDB's statements. */
    public MariaDbDdl() {
        this(Flavor.MARIADB);
    }

    /** The statements {@code flavor} takes (docs/DESIGN.md, "MariaDB and MySQL": the flavor table). */
    public MariaDbDdl(Flavor flavor) {
        this.flavor = java.util.Objects.requireNonNull(flavor);
        this.alter = new OnlineAlter(flavor);
        this.mysql = new MySqlForms(alter);
    }

    private boolean isMySql() {
        return flavor == Flavor.MYSQL;
    }

    private static final LockMode ACCESS_EXCLUSIVE = LockMode.ACCESS_EXCLUSIVE;

    private static final String TABLE_MISSING = "SELECT NOT EXISTS (SELECT 1 FROM information_schema.TABLES"
            + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?)";
    private static final String INDEX_EXISTS = "SELECT EXISTS (SELECT 1 FROM information_schema.STATISTICS"
            + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?)";
    private static final String INDEX_MISSING = "SELECT NOT " + INDEX_EXISTS.substring("SELECT ".length());

    private static TableLock on(String database, String table, LockMode mode) {
        return new TableLock(database, table, mode);
    }

    private static Locks exclusive(String database, String table) {
        return Locks.derived(on(database, table, ACCESS_EXCLUSIVE));
    }

    /** The table's exclusive metadata lock for a moment, and a read of the definitions of the tables it references. */
    private static Locks exclusiveReading(String database, String table, Collection<String> referenced) {
        List<TableLock> locks = new ArrayList<>();
        locks.add(on(database, table, ACCESS_EXCLUSIVE));
        for (String r : referenced) locks.add(on(database, r, LockMode.ACCESS_SHARE));
        return Locks.derived(locks);
    }

    /** An ALTER that only changes the data dictionary: the exclusive metadata lock for a moment. */
    private Step instant(String what, String database, String table, String clause) {
        return Step.metadata(what + alter.how(Algorithm.INSTANT),
                alter.sql(database, table, Algorithm.INSTANT, clause), exclusive(database, table));
    }

    private static UnsupportedOperationException unsupported(String what, String why) {
        return new UnsupportedOperationException(what + " is not supported on MariaDB yet: " + why);
    }

    /** Physical names stay; the version databases' views alias them ("Physical names stay" in docs/DESIGN.md). */
    @Override
    public boolean contractRenames() {
        return false;
    }

    /** Every DDL statement commits on its own (MariaDB manual, "SQL Statements That Cause an Implicit Commit"). */
    @Override
    public boolean transactionalDdl() {
        return false;
    }

    /**
     * SET NOT NULL on a live column is an in-place rebuild (INPLACE) that reads every row, and a busy table lets it in
     * only after many NOWAIT attempts; adding the column NOT NULL is INSTANT ({@link #addNotNullColumn}).
     */
    @Override
    public boolean notNullByCheck() {
        return false;
    }

    @Override
    public Step createSchema(String database) {
        return Step.metadata("create version database " + database, "CREATE DATABASE IF NOT EXISTS " + quote(database),
                Locks.derived());
    }

    @Override
    public Step dropSchema(String database, List<String> views) {
        // Each view's exclusive metadata lock; the tables they read are not locked.
        return Step.metadata("drop version database " + database + " and its views",
                ("DROP DATABASE IF EXISTS " + quote(database)),
                Locks.derived(views.stream().map(v -> on(database, v, ACCESS_EXCLUSIVE)).toList()));
    }

    @Override
    public Step createTable(String database, String table, List<ColumnDef> columns) {
        List<String> parts = new ArrayList<>();
        List<String> pk = new ArrayList<>();
        List<String> referenced = new ArrayList<>();
        for (ColumnDef c : columns) {
            StringBuilder sb = new StringBuilder(quote(c.name())).append(' ').append(c.type());
            if (!c.nullable() || c.primaryKey()) sb.append(" NOT NULL");
            if (c.identity()) {
                // AUTO_INCREMENT must be a key of its own table ("AUTO_INCREMENT" in the MariaDB manual).
                if (!c.primaryKey() && !c.unique()) {
                    throw new IllegalArgumentException("identity column " + c.name() + " of " + table + " must be its"
                            + " primary key or unique on MariaDB, where it is an AUTO_INCREMENT column");
                }
                sb.append(" AUTO_INCREMENT");
            }
            // An expression default needs its parentheses; a constant keeps its meaning in them.
            if (c.defaultExpr() != null) sb.append(" DEFAULT (").append(c.defaultExpr()).append(')');
            parts.add(sb.toString());
            if (c.primaryKey()) pk.add(c.name());
        }
        if (!pk.isEmpty()) parts.add("PRIMARY KEY (" + quoteAll(pk) + ")");
        for (ColumnDef c : columns) {
            if (c.unique() && !c.primaryKey()) parts.add("UNIQUE (" + quote(c.name()) + ")");
            if (c.check() != null) {
                parts.add("CONSTRAINT " + quote(dev.tandem.engine.Names.constraint(table, c.name(), "check"))
                        + " CHECK (" + c.check() + ")");
            }
            if (c.references() != null) {
                parts.add("FOREIGN KEY (" + quote(c.name()) + ") REFERENCES " + qualify(database, c.references().table())
                        + " (" + quote(c.references().column()) + ") ON DELETE " + onDeleteAction(c.references().onDelete()));
                referenced.add(c.references().table());
            }
        }
        return Step.metadata("create table " + table, ("CREATE TABLE IF NOT EXISTS "
                        + qualify(database, table) + " (\n  " + String.join(",\n  ", parts) + "\n) ENGINE=InnoDB"),
                exclusiveReading(database, table, referenced));
    }

    @Override
    public Step dropTable(String database, String table, List<String> referencedTables) {
        return Step.metadata("drop table " + table + " (" + OnlineAlter.BOUNDED + ")",
                "DROP TABLE IF EXISTS " + qualify(database, table),
                exclusiveReading(database, table, referencedTables));
    }

    /**
     * Refused: Tandem keeps a table's physical name while any version runs (the design's "physical names stay"): the
     * version databases' views and the sync triggers name it, and a rename breaks them (1356 on every read of the
     * view) with no way to swap names and views atomically on MariaDB (RENAME and CREATE VIEW are refused under LOCK
     * TABLES, 1192). The new name lives on as the view's name in the version database.
     */
    @Override
    public Step renameTable(String database, String from, String to) {
        throw unsupported("renaming table " + from + " to " + to, "the version databases' views name the table by its"
                + " physical name and would break (1356); the new name is the view's name in the version database");
    }

    @Override
    public Step addColumn(String database, String table, String column, String type) {
        return addColumnClause("add column " + table + "." + column, database, table, column, type + " NULL");
    }

    /**
     * {@code ADD COLUMN c T NOT NULL DEFAULT <placeholder>}, INSTANT (measured on 10.11.5 and 11.4.5, MariaDbFactsTest):
     * the rows already there, and the previous version's inserts until the sync trigger fills the column, get the
     * placeholder of {@link #placeholder}; without a default those inserts would fail (1364) in the moment between the
     * column and the trigger (measured: MariaDbUnderLoadTest). The planner drops the placeholder ({@link #dropDefault},
     * INSTANT) once the trigger is there, unless the column gets a default of its own. The collation's schema is ignored,
     * as in {@link #addColumn(String, String, String, String, String, String)}.
     */
    @Override
    public Step addNotNullColumn(String database, String table, String column, String type, String collationSchema,
                                 String collation) {
        return addColumnClause("add column " + table + "." + column + " NOT NULL, with a placeholder default until the"
                + " sync trigger fills it", database, table, column, type
                + (collation == null ? "" : " COLLATE " + quote(collation)) + " NOT NULL DEFAULT " + placeholder(type));
    }

    /** The collation's schema is ignored: MariaDB's collations belong to no database. */
    @Override
    public Step addColumn(String database, String table, String column, String type, String collationSchema, String collation) {
        if (collation == null) return addColumn(database, table, column, type);
        return addColumnClause("add column " + table + "." + column + " with collation " + collation, database, table,
                column, type + " COLLATE " + quote(collation) + " NULL");
    }

    /**
     * INSTANT (MySQL: at any position from 8.0.29, "Online DDL Operations", column operations). MySQL has no IF NOT
     * EXISTS on ADD COLUMN: there the step is skipped when the column is there.
     */
    private Step addColumnClause(String what, String database, String table, String column, String definition) {
        if (!isMySql()) return instant(what, database, table, "ADD COLUMN IF NOT EXISTS " + quote(column) + " " + definition);
        return instant(what, database, table, "ADD COLUMN " + quote(column) + " " + definition)
                .skipIf(MySqlForms.COLUMN_EXISTS, database, table, column);
    }

    /**
     * Only a comment can be carried (a MODIFY that restates the live definition: {@link LiveColumn}); statistics
     * targets and attribute options are PostgreSQL's and refused.
     */
    @Override
    public Step setColumnSettings(String database, String table, String column, String comment, Integer statistics,
                                  List<String> options, String why) {
        if (statistics != null || (options != null && !options.isEmpty())) {
            throw unsupported("a column's statistics target or attribute options (" + table + "." + column + ")",
                    "MariaDB has neither");
        }
        if (comment == null) throw new IllegalArgumentException("no column setting to carry to " + table + "." + column);
        return Step.metadata(why + alter.how(Algorithm.INSTANT),
                new LiveColumn(alter, flavor, database, table, column).withComment(Algorithm.INSTANT, comment), exclusive(database, table));
    }

    @Override
    public Step setColumnStorage(String database, String table, String column, String storage, String compression, String why) {
        throw unsupported("setting a column's storage or compression (" + table + "." + column + ")",
                "these are PostgreSQL's TOAST settings; MariaDB has no counterpart");
    }

    @Override
    public Step sequenceOwnedBy(String sequenceDatabase, String sequence, String database, String table, String column) {
        throw unsupported("sequences owned by columns (" + sequence + ")", "MariaDB sequences belong to no column;"
                + " Tandem carries AUTO_INCREMENT columns, not sequences, on MariaDB");
    }

    @Override
    public Step sequenceAs(String sequenceDatabase, String sequence, String type) {
        throw unsupported("changing a sequence's type (" + sequence + ")", "Tandem carries AUTO_INCREMENT columns,"
                + " not sequences, on MariaDB");
    }

    /**
     * INSTANT, which MariaDB refuses (1846) for a column an index covers: that needs the index dropped first
     * ({@link #dropIndex}), since the drop must not rebuild it.
     */
    @Override
    public Step dropColumn(String database, String table, String column, List<String> referencedTables) {
        // MariaDB refuses to drop an indexed column instantly (1846, "Reason: DROP INDEX. Try ALGORITHM=NOCOPY"),
        // where PostgreSQL drops the column's indexes with it: the indexes over it go first (NOCOPY: the rows stay),
        // then the column (INSTANT). Whatever of it a crash left done is not found the second time.
        String indexes = "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND COLUMN_NAME = " + literal(column)
                + " AND INDEX_NAME <> 'PRIMARY'";
        if (isMySql()) {
            return Step.metadata("drop column " + table + "." + column + " and the indexes over it"
                    + alter.how(Algorithm.INSTANT), mysql.dropColumn(database, table, column),
                    exclusiveReading(database, table, referencedTables))
                    .skipIf(MySqlForms.COLUMN_MISSING, database, table, column);
        }
        String sql = "BEGIN NOT ATOMIC\n"
                + "  FOR i IN (" + indexes + ") DO\n"
                + "    EXECUTE IMMEDIATE CONCAT(" + literal(alter.prefix(database, table, Algorithm.NOCOPY) + "DROP INDEX ")
                + ", CONCAT('`', REPLACE(i.name, '`', '``'), '`'), " + literal(alter.suffix(Algorithm.NOCOPY)) + ");\n"
                + "  END FOR;\n"
                + "  EXECUTE IMMEDIATE " + literal(alter.sql(database, table, Algorithm.INSTANT,
                "DROP COLUMN IF EXISTS " + quote(column))) + ";\n"
                + "END";
        return Step.metadata("drop column " + table + "." + column + " and the indexes over it"
                + alter.how(Algorithm.INSTANT), sql, exclusiveReading(database, table, referencedTables));
    }

    /** Refused for the reason {@link #renameTable} is: a base column keeps its physical name; views alias it. */
    @Override
    public Step renameColumn(String database, String table, String from, String to) {
        throw unsupported("renaming column " + table + "." + from + " to " + to, "the version databases' views and the"
                + " sync triggers name the column by its physical name and would break (1356, 1054); the new name is"
                + " an alias in the version database's view");
    }

    @Override
    public Step setDefault(String database, String table, String column, String expr) {
        return instant("set default of " + table + "." + column, database, table,
                "ALTER COLUMN " + quote(column) + " SET DEFAULT (" + expr + ")");
    }

    /**
     * A constant of the column's type (COLUMN_TYPE as the catalog reads it): 0 for numbers, '' for strings and binaries,
     * the first member of an ENUM, the empty set, and the earliest value MariaDB accepts in strict mode for dates and
     * times. SET DEFAULT is INSTANT ("InnoDB Online DDL Operations", column operations).
     */
    @Override
    public Step placeholderDefault(String database, String table, String column, String type) {
        return instant("give " + table + "." + column + " a placeholder default: the new version's inserts leave it out"
                + " once the sync trigger that filled it is gone, until contract drops it", database, table,
                "ALTER COLUMN " + quote(column) + " SET DEFAULT " + placeholder(type));
    }

    @Override
    public Step placeholderDefaultIfPresent(String database, String table, String column, String type) {
        Step set = instant("give " + table + "." + column + " its placeholder default again: the previous version's"
                + " inserts leave it out once the sync trigger that filled it is gone, until rollback drops it", database,
                table, "ALTER COLUMN " + quote(column) + " SET DEFAULT " + placeholder(type));
        return set.skipIf(MySqlForms.COLUMN_MISSING, database, table, column);
    }

    static String placeholder(String columnType) {
        String t = columnType.toLowerCase(java.util.Locale.ROOT).trim();
        if (t.startsWith("enum(")) {
            // The first member, as COLUMN_TYPE quotes it: enum('a','b') → 'a'.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^enum\\(('(?:[^']|'')*')").matcher(t);
            if (m.find()) return columnType.trim().substring(5, 5 + m.group(1).length());
        }
        if (t.startsWith("set(")) return "''";
        if (t.equals("uuid")) return "'00000000-0000-0000-0000-000000000000'";
        if (t.equals("inet6")) return "'::'";
        if (t.equals("inet4")) return "'0.0.0.0'";
        if (t.equals("json")) return "'null'";
        if (t.matches("^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|bool|boolean)\\b.*")) {
            return "0";
        }
        if (t.startsWith("datetime") || t.startsWith("timestamp")) return "'1970-01-01 00:00:01'";
        if (t.startsWith("date")) return "'1000-01-01'";
        if (t.startsWith("time")) return "'00:00:00'";
        if (t.startsWith("year")) return "1901";
        return "''";
    }

    /**
     * MariaDB's DROP DEFAULT leaves a nullable column with no default at all, so that an insert leaving it out fails
     * (1364 in strict mode; measured), where PostgreSQL's gives NULL. A nullable column gets {@code DEFAULT NULL}
     * instead, decided by the column as it is when the step runs.
     */
    @Override
    public Step dropDefault(String database, String table, String column) {
        String nullable = "SELECT IS_NULLABLE = 'YES' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND COLUMN_NAME = " + literal(column);
        if (isMySql()) {
            return Step.metadata("drop default of " + table + "." + column + alter.how(Algorithm.INSTANT),
                    mysql.dropDefault(database, table, column), exclusive(database, table));
        }
        String alterColumn = alter.prefix(database, table, Algorithm.INSTANT) + "ALTER COLUMN " + quote(column);
        // EXECUTE IMMEDIATE takes no subquery: the column's nullability is read into a variable first.
        String sql = "BEGIN NOT ATOMIC\n"
                + "  DECLARE nullable BOOLEAN DEFAULT (" + nullable + ");\n"
                + "  EXECUTE IMMEDIATE CONCAT(" + literal(alterColumn) + ", IF(nullable, ' SET DEFAULT NULL', ' DROP DEFAULT'), "
                + literal(alter.suffix(Algorithm.INSTANT)) + ");\n"
                + "END";
        return Step.metadata("drop default of " + table + "." + column + alter.how(Algorithm.INSTANT), sql,
                exclusive(database, table));
    }

    /**
     * Refused: MariaDB has no NOT VALID, and adds a CHECK constraint only by copying the table, with
     * {@code check_constraint_checks=0} too (1845 for INSTANT, NOCOPY and INPLACE; measured,
     * MariaDbDdlTest.addingACheckNeedsACopy). A copy blocks every write for as long as it runs.
     */
    @Override
    public Step addCheckNotValid(String database, String table, String name, String expr) {
        throw unsupported("adding CHECK constraint " + name + " to " + table, "MariaDB adds a CHECK only by copying the"
                + " table (ALGORITHM=COPY), which blocks its writes while it runs; there is no NOT VALID");
    }

    /**
     * MariaDB has no NOT VALID, and adds a foreign key in place only with {@code foreign_key_checks=0} (otherwise
     * COPY: 1846, "Adding foreign keys needs foreign_key_checks=OFF"). With it off for this statement only, the key is
     * added without checking the existing rows, and enforced for every write from then on: what NOT VALID means.
     * {@link #validateForeignKey} checks the existing rows later, by a scan. NOCOPY, since MariaDB adds an index over
     * the columns when none covers them.
     */
    @Override
    public Step addForeignKeyNotValid(String database, String table, String name, List<String> columns, String refDatabase,
                                      String refTable, List<String> refColumns, String onDelete) {
        String key = " FOREIGN KEY (" + quoteAll(columns) + ") REFERENCES " + qualify(refDatabase, refTable)
                + " (" + quoteAll(refColumns) + ") ON DELETE " + onDeleteAction(onDelete);
        List<TableLock> locks = List.of(on(database, table, ACCESS_EXCLUSIVE), on(refDatabase, refTable, LockMode.ACCESS_SHARE));
        String what = "add foreign key " + name + " unchecked (foreign_key_checks=0 for this statement: existing rows"
                + " checked at contract)" + alter.how(Algorithm.NOCOPY);
        if (isMySql()) {
            // No SET STATEMENT on MySQL, and its SET_VAR hint takes no ALTER TABLE ("Variable-Setting Hint Syntax",
            // 10.9.3): the session's setting is saved, turned off and put back around the statement (a failed ALTER
            // leaves it off until the next step starts: MariaDbDialect#setDdlTimeouts puts it back then).
            String sql = "SET @tandem_foreign_key_checks = @@SESSION.foreign_key_checks, SESSION foreign_key_checks = 0;\n"
                    + alter.sql(database, table, Algorithm.NOCOPY, "ADD CONSTRAINT " + quote(name) + key) + ";\n"
                    + RESTORE_FOREIGN_KEY_CHECKS;
            return new Step(what, sql, Locks.derived(locks), Effect.BUILD, Mode.LONG)
                    .skipIf(MySqlForms.FOREIGN_KEY_EXISTS, database, table, name);
        }
        String sql = "SET STATEMENT foreign_key_checks=0 FOR " + alter.sql(database, table, Algorithm.NOCOPY,
                "ADD CONSTRAINT " + quote(name) + " FOREIGN KEY IF NOT EXISTS" + key.substring(" FOREIGN KEY".length()));
        return new Step(what, sql, Locks.derived(locks), Effect.BUILD, Mode.LONG);
    }

    /** Puts back the session's foreign_key_checks that the MySQL form of {@link #addForeignKeyNotValid} saved. */
    public static final String RESTORE_FOREIGN_KEY_CHECKS = "SET SESSION foreign_key_checks = IFNULL(@tandem_foreign_key_checks,"
            + " @@SESSION.foreign_key_checks), @tandem_foreign_key_checks = NULL";

    private static String onDeleteAction(String action) {
        return switch (action) {
            case "NO ACTION", "RESTRICT", "CASCADE", "SET NULL" -> action;
            case "SET DEFAULT" -> throw unsupported("ON DELETE SET DEFAULT", "InnoDB refuses foreign keys with it");
            default -> throw new IllegalArgumentException("unknown ON DELETE action " + action);
        };
    }

    /**
     * Checks the existing rows against the CHECK constraint as the server has it (information_schema.CHECK_CONSTRAINTS),
     * by a read-only scan, and fails (SQLSTATE 23000) naming the constraint and how many rows break it. MariaDB
     * checked them when the constraint was added; this is for a constraint added unchecked by other means.
     */
    @Override
    public Step validateConstraint(String database, String table, String name) {
        String clause = "(SELECT CHECK_CLAUSE FROM " + flavor.checkConstraints() + " WHERE CONSTRAINT_SCHEMA = "
                + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND CONSTRAINT_NAME = " + literal(name) + ")";
        String what = "check constraint " + name + " of " + qualify(database, table);
        String sql = isMySql() ? "SET @tandem_check = " + clause + ";\n"
                + MySqlForms.refuseIf("@tandem_check IS NULL", literal(what + " does not exist")) + ";\n"
                + MySqlForms.countViolations("CONCAT('SELECT COUNT(*) INTO @tandem_violations FROM ', "
                + literal(qualify(database, table)) + ", ' WHERE NOT (', @tandem_check, ')')", what)
                : "BEGIN NOT ATOMIC\n"
                + "  DECLARE clause TEXT DEFAULT " + clause + ";\n"
                + "  IF clause IS NULL THEN\n"
                + "    SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = " + literal("Tandem: check constraint " + name + " of "
                + qualify(database, table) + " does not exist") + ";\n"
                + "  END IF;\n"
                // A row passes a CHECK unless its condition is false: NULL passes.
                + "  EXECUTE IMMEDIATE CONCAT('SELECT COUNT(*) INTO @tandem_violations FROM ', "
                + literal(qualify(database, table)) + ", ' WHERE NOT (', clause, ')');\n"
                + violated("check constraint " + name + " of " + qualify(database, table))
                + "END";
        return new Step("check the existing rows of " + table + " against " + name + " (a read-only scan)", sql,
                Locks.derived(on(database, table, LockMode.ACCESS_SHARE)), Effect.SCAN, Mode.LONG);
    }

    /**
     * The check NOT VALID postponed: a read-only scan for rows of {@code table} whose key columns are all set and match
     * no row of the referenced table, failing (SQLSTATE 23000) with their count. The key's columns are read from
     * information_schema.KEY_COLUMN_USAGE when the step runs. Writes since the key was added were checked by the key.
     */
    @Override
    public Step validateForeignKey(String database, String table, String name, String refTable) {
        String usage = " FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_SCHEMA = " + literal(database)
                + " AND TABLE_NAME = " + literal(table) + " AND CONSTRAINT_NAME = " + literal(name)
                + " AND REFERENCED_TABLE_NAME IS NOT NULL";
        if (isMySql()) {
            String what = "foreign key " + name + " of " + qualify(database, table);
            String sql = "SET @tandem_ref = (SELECT CONCAT('`', REPLACE(REFERENCED_TABLE_SCHEMA, '`', '``'), '`.`',"
                    + " REPLACE(REFERENCED_TABLE_NAME, '`', '``'), '`')" + usage + " LIMIT 1),\n"
                    + "  @tandem_matches = (SELECT GROUP_CONCAT('r.`', REPLACE(REFERENCED_COLUMN_NAME, '`', '``'),"
                    + " '` = c.`', REPLACE(COLUMN_NAME, '`', '``'), '`' ORDER BY ORDINAL_POSITION SEPARATOR ' AND ')" + usage + "),\n"
                    + "  @tandem_complete = (SELECT GROUP_CONCAT('c.`', REPLACE(COLUMN_NAME, '`', '``'), '` IS NOT NULL'"
                    + " ORDER BY ORDINAL_POSITION SEPARATOR ' AND ')" + usage + ");\n"
                    + MySqlForms.refuseIf("@tandem_ref IS NULL", literal(what + " does not exist")) + ";\n"
                    + MySqlForms.countViolations("CONCAT('SELECT COUNT(*) INTO @tandem_violations FROM ', "
                    + literal(qualify(database, table)) + ", ' c WHERE ', @tandem_complete, ' AND NOT EXISTS (SELECT 1 FROM ',"
                    + " @tandem_ref, ' r WHERE ', @tandem_matches, ')')", what);
            return new Step("check the existing rows of " + table + " against foreign key " + name + " (a read-only scan)", sql,
                    Locks.derived(on(database, table, LockMode.ACCESS_SHARE), on(database, refTable, LockMode.ACCESS_SHARE)),
                    Effect.SCAN, Mode.LONG);
        }
        String sql = "BEGIN NOT ATOMIC\n"
                + "  DECLARE ref TEXT DEFAULT (SELECT CONCAT('`', REPLACE(REFERENCED_TABLE_SCHEMA, '`', '``'), '`.`',"
                + " REPLACE(REFERENCED_TABLE_NAME, '`', '``'), '`')" + usage + " LIMIT 1);\n"
                + "  DECLARE matches TEXT DEFAULT (SELECT GROUP_CONCAT('r.`', REPLACE(REFERENCED_COLUMN_NAME, '`', '``'),"
                + " '` = c.`', REPLACE(COLUMN_NAME, '`', '``'), '`' ORDER BY ORDINAL_POSITION SEPARATOR ' AND ')" + usage + ");\n"
                + "  DECLARE complete TEXT DEFAULT (SELECT GROUP_CONCAT('c.`', REPLACE(COLUMN_NAME, '`', '``'), '` IS NOT NULL'"
                + " ORDER BY ORDINAL_POSITION SEPARATOR ' AND ')" + usage + ");\n"
                + "  IF ref IS NULL THEN\n"
                + "    SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = " + literal("Tandem: foreign key " + name + " of "
                + qualify(database, table) + " does not exist") + ";\n"
                + "  END IF;\n"
                + "  EXECUTE IMMEDIATE CONCAT('SELECT COUNT(*) INTO @tandem_violations FROM ', "
                + literal(qualify(database, table)) + ", ' c WHERE ', complete, ' AND NOT EXISTS (SELECT 1 FROM ', ref,"
                + " ' r WHERE ', matches, ')');\n"
                + violated("foreign key " + name + " of " + qualify(database, table))
                + "END";
        return new Step("check the existing rows of " + table + " against foreign key " + name + " (a read-only scan)", sql,
                Locks.derived(on(database, table, LockMode.ACCESS_SHARE), on(database, refTable, LockMode.ACCESS_SHARE)),
                Effect.SCAN, Mode.LONG);
    }

    /** The end of a validating scan: fails with the count it left in {@code @tandem_violations}. */
    private static String violated(String what) {
        return "  IF @tandem_violations > 0 THEN\n"
                + "    BEGIN\n"
                + "      DECLARE message TEXT DEFAULT CONCAT(" + literal("Tandem: ") + ", @tandem_violations, "
                + literal(" existing row(s) break " + what) + ");\n"
                + "      SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = message;\n"
                + "    END;\n"
                + "  END IF;\n";
    }

    /**
     * NOT NULL by an in-place rebuild that lets reads and writes through (ALGORITHM=INPLACE, LOCK=NONE: MariaDB has no
     * way to prove it from a validated check, so it reads every row); fails (1265) while a row holds a NULL. The
     * column's definition is restated as it is when the step runs ({@link LiveColumn}).
     */
    @Override
    public Step setNotNull(String database, String table, String column) {
        return new Step("set " + table + "." + column + " NOT NULL" + alter.how(Algorithm.INPLACE),
                new LiveColumn(alter, flavor, database, table, column).notNull(Algorithm.INPLACE),
                Locks.derived(on(database, table, LockMode.SHARE_UPDATE_EXCLUSIVE)), Effect.REWRITE, Mode.LONG)
                .skipIf(LiveColumn.IS_NOT_NULL, database, table, column);
    }

    /** A CHECK constraint (INSTANT) or a unique key, which MariaDB keeps as an index (NOCOPY). */
    @Override
    public Step dropConstraint(String database, String table, String name) {
        String check = "SELECT EXISTS (SELECT 1 FROM " + flavor.checkConstraints() + " WHERE CONSTRAINT_SCHEMA = "
                + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND CONSTRAINT_NAME = " + literal(name) + ")";
        if (isMySql()) {
            // MySQL: DROP CHECK, in place (no INSTANT claimed for it in "Online DDL Operations"); a name that is
            // neither a CHECK nor an index is gone already.
            String index = "SELECT EXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                    + literal(database) + " AND TABLE_NAME = " + literal(table) + " AND INDEX_NAME = " + literal(name) + ")";
            String sql = MySqlForms.run("IF((" + check + "), " + literal(alter.sql(database, table, Algorithm.NOCOPY,
                    "DROP CHECK " + quote(name))) + ", IF((" + index + "), " + literal(alter.sql(database, table,
                    Algorithm.NOCOPY, "DROP INDEX " + quote(name))) + ", 'DO 0'))");
            return Step.metadata("drop constraint " + name + " (a CHECK or a unique key: ALGORITHM=INPLACE, LOCK=NONE,"
                    + " exclusive metadata lock for a moment)", sql, exclusive(database, table));
        }
        String sql = "BEGIN NOT ATOMIC\n"
                + "  IF (" + check + ") THEN\n"
                + "    EXECUTE IMMEDIATE " + literal(alter.prefix(database, table, Algorithm.INSTANT) + "DROP CONSTRAINT IF EXISTS " + quote(name)
                + alter.suffix(Algorithm.INSTANT)) + ";\n"
                + "  ELSE\n"
                + "    EXECUTE IMMEDIATE " + literal(alter.prefix(database, table, Algorithm.NOCOPY) + "DROP INDEX IF EXISTS " + quote(name)
                + alter.suffix(Algorithm.NOCOPY)) + ";\n"
                + "  END IF;\n"
                + "END";
        return Step.metadata("drop constraint " + name + " (a CHECK: ALGORITHM=INSTANT; a unique key: ALGORITHM=NOCOPY;"
                + " LOCK=NONE, exclusive metadata lock for a moment)", sql, exclusive(database, table));
    }

    @Override
    public Step dropForeignKey(String database, String table, String name, String refTable) {
        if (isMySql()) {
            // MySQL drops a foreign key in place, not instantly ("Online DDL Operations", foreign key operations).
            return Step.metadata("drop foreign key " + name + alter.how(Algorithm.NOCOPY),
                    alter.sql(database, table, Algorithm.NOCOPY, "DROP FOREIGN KEY " + quote(name)),
                    exclusiveReading(database, table, List.of(refTable)))
                    .skipIf(MySqlForms.FOREIGN_KEY_MISSING, database, table, name);
        }
        return Step.metadata("drop foreign key " + name + alter.how(Algorithm.INSTANT),
                alter.sql(database, table, Algorithm.INSTANT, "DROP FOREIGN KEY IF EXISTS " + quote(name)),
                exclusiveReading(database, table, List.of(refTable)));
    }

    @Override
    public Step renameConstraint(String database, String table, String from, String to) {
        throw unsupported("renaming constraint " + from + " of " + table, "MariaDB cannot rename a CHECK or foreign key"
                + " constraint, and adding it again under the new name copies the table (a CHECK) or leaves it unchecked"
                + " (a foreign key)");
    }

    /**
     * Built in place while reads and writes go on (ALGORITHM=NOCOPY, LOCK=NONE); a unique build fails (1062) on
     * duplicates. Keys are columns, ascending or descending; what MariaDB indexes do not have (expressions,
     * INCLUDE, a WHERE, operator classes, collations per key, NULLS NOT DISTINCT, storage parameters, tablespaces,
     * methods other than btree and hash) is refused.
     */
    @Override
    public Step createIndex(String database, String table, String name, Catalog.IndexShape shape, boolean unique) {
        String sql = alter.sql(database, table, Algorithm.NOCOPY, "ADD " + (unique ? "UNIQUE " : "") + "INDEX " + (isMySql() ? "" : "IF NOT EXISTS ")
                + quote(name) + " " + indexKeys(name, shape));
        return new Step("build index " + name + alter.how(Algorithm.NOCOPY), sql,
                Locks.derived(on(database, table, LockMode.SHARE_UPDATE_EXCLUSIVE)), Effect.BUILD, Mode.LONG)
                .skipIf(INDEX_EXISTS, database, table, name);
    }

    /**
     * What follows an index's name in {@code ADD INDEX} and in {@code CREATE TABLE}: its keys in parentheses and its
     * method, {@code (`a`, `b` DESC) USING HASH}. The index check builds the same on an empty copy of the table.
     *
     * @throws UnsupportedOperationException for what MariaDB indexes do not have (see {@link #createIndex})
     */
    static String indexKeys(String name, Catalog.IndexShape shape) {
        List<String> keys = new ArrayList<>();
        for (Catalog.IndexKey k : shape.keys()) {
            if (k.column() == null) {
                throw unsupported("index " + name + " on an expression " + k.expression(), "Tandem builds MariaDB and"
                        + " MySQL indexes on columns only (MariaDB has no functional key parts; MySQL's are not carried"
                        + " to a new column yet): drop the index in an earlier migration and create it again afterwards"
                        + " with a `sql` operation");
            }
            if (k.collation() != null || k.opclass() != null) {
                throw unsupported("index " + name + " with a collation or operator class per key", "MariaDB has neither");
            }
            keys.add(quote(k.column()) + (k.descending() ? " DESC" : ""));
        }
        if (!shape.include().isEmpty() || shape.nullsNotDistinct() || !shape.storage().isEmpty()
                || shape.tablespace() != null || shape.predicate() != null) {
            throw unsupported("index " + name + " with INCLUDE, NULLS NOT DISTINCT, storage parameters, a tablespace or"
                    + " a WHERE", "MariaDB indexes have none of them");
        }
        String method = switch (shape.method() == null ? "btree" : shape.method()) {
            case "btree" -> "";
            case "hash" -> " USING HASH";
            default -> throw unsupported("index method " + shape.method() + " (index " + name + ")",
                    "MariaDB's InnoDB indexes are B-trees");
        };
        return "(" + String.join(", ", keys) + ")" + method;
    }

    @Override
    public Step alterPolicy(String database, String table, String policy, String using, String withCheck) {
        throw unsupported("row-level security policy " + policy, "MariaDB has no row-level security");
    }

    @Override
    public Step replicaIdentityUsingIndex(String database, String table, String index) {
        throw unsupported("REPLICA IDENTITY (" + table + ")", "MariaDB's row-based binary log has no replica identity"
                + " to choose");
    }

    @Override
    public Step clusterOn(String database, String table, String index) {
        throw unsupported("CLUSTER ON (" + table + ")", "InnoDB clusters a table by its primary key only");
    }

    /** NOCOPY: MariaDB refuses INSTANT for DROP INDEX (1846, measured). */
    @Override
    public Step dropIndex(String database, String table, String name) {
        Step drop = Step.metadata("drop index " + name + alter.how(Algorithm.NOCOPY),
                alter.sql(database, table, Algorithm.NOCOPY, "DROP INDEX " + (isMySql() ? "" : "IF EXISTS ") + quote(name)),
                exclusive(database, table));
        return isMySql() ? drop.skipIf(INDEX_MISSING, database, table, name) : drop;
    }

    @Override
    public Step renameIndex(String database, String table, String from, String to) {
        return renameIndexStep("rename index " + from + " to " + to, database, table, from, to);
    }

    /** INSTANT on MariaDB; in place on MySQL, which renames an index only so ("Online DDL Operations", index operations). */
    private Step renameIndexStep(String what, String database, String table, String from, String to) {
        Algorithm algorithm = isMySql() ? Algorithm.NOCOPY : Algorithm.INSTANT;
        return Step.metadata(what + alter.how(algorithm), alter.sql(database, table, algorithm,
                "RENAME INDEX " + quote(from) + " TO " + quote(to)), exclusive(database, table))
                .skipIf(INDEX_MISSING, database, table, from);
    }

    @Override
    public Step commentOnIndex(String database, String index, String comment) {
        throw unsupported("a comment on index " + index, "MariaDB sets an index's comment only when it builds the index");
    }

    @Override
    public Step commentOnConstraint(String database, String table, String constraint, String comment) {
        throw unsupported("a comment on constraint " + constraint, "MariaDB constraints have no comments");
    }

    /**
     * A unique index is MariaDB's unique constraint: the index is renamed to the constraint's name (INSTANT), or left
     * as it is when the names are the same.
     */
    @Override
    public Step addUniqueUsingIndex(String database, String table, String constraint, String index) {
        if (constraint.equals(index)) {
            return Step.metadata("unique index " + index + " is the unique constraint on MariaDB: nothing to do", "DO 0",
                    Locks.derived());
        }
        return renameIndexStep("rename unique index " + index + " to " + constraint, database, table, index, constraint);
    }

    /**
     * Refused: InnoDB keeps the rows in primary key order, so a new primary key rebuilds the table, and the index
     * Tandem built cannot become it.
     */
    @Override
    public Step addPrimaryKeyUsingIndex(String database, String table, String constraint, String index) {
        throw unsupported("making index " + index + " the primary key of " + table, "InnoDB stores rows in primary key"
                + " order: a new primary key rebuilds the table, and an existing index cannot become it");
    }

    /**
     * {@code CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW}: every column a plain column reference, so
     * that the view stays updatable and insertable (an expression column makes the whole view read-only for inserts,
     * 1471), the privileges checked as the querying user's, as on the table. MariaDB views have no column defaults:
     * a column an insert leaves out gets the table's default, which Tandem sets on the physical column, so
     * {@link ViewColumn#defaultExpr} is not written. {@code securityInvoker} is ignored: always INVOKER.
     */
    @Override
    public Step createView(String versionDatabase, String view, String database, String table, List<ViewColumn> columns,
                           boolean securityInvoker) {
        List<String> cols = new ArrayList<>();
        for (ViewColumn c : columns) {
            cols.add(c.physical().equals(c.name()) ? quote(c.physical()) : quote(c.physical()) + " AS " + quote(c.name()));
        }
        return Step.metadata("create view " + versionDatabase + "." + view,
                ("CREATE OR REPLACE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW " + qualify(versionDatabase, view)
                        + " AS SELECT " + String.join(", ", cols) + " FROM " + qualify(database, table)),
                Locks.derived(on(versionDatabase, view, ACCESS_EXCLUSIVE), on(database, table, LockMode.ACCESS_SHARE)));
    }

    /**
     * GRANTs on a view (or columns of a table) to accounts named {@code user@host} ({@code 'user'@'host'}), roles or
     * users named alone, or PUBLIC.
     */
    @Override
    public Step grant(String database, String relation, List<Grant> grants, String why) {
        List<String> sql = new ArrayList<>();
        for (Grant g : grants) {
            String privilege = switch (g.privilege()) {
                case "SELECT", "INSERT", "UPDATE", "DELETE", "REFERENCES" -> g.privilege();
                case "TRIGGER" -> {
                    if (g.column() != null) throw new IllegalArgumentException("TRIGGER is not a column privilege");
                    yield g.privilege();
                }
                default -> throw unsupported("granting " + g.privilege() + " on " + relation,
                        "it is not a MariaDB table privilege");
            };
            if (isMySql() && "PUBLIC".equals(g.grantee())) {
                throw unsupported("granting " + g.privilege() + " on " + relation + " to PUBLIC", "MySQL has no PUBLIC"
                        + " role (\"Using Roles\", 8.2.10 of the MySQL 8.4 manual)");
            }
            sql.add("GRANT " + privilege + (g.column() != null ? " (" + quote(g.column()) + ")" : "") + " ON "
                    + qualify(database, relation) + " TO " + grantee(g.grantee()) + (g.grantable() ? " WITH GRANT OPTION" : ""));
        }
        return Step.metadata(why, String.join(";\n", sql), Locks.derived());
    }

    /** {@code user@host} as {@code 'user'@'host'} (split at the last {@code @}), PUBLIC as it is, else a quoted name. */
    static String grantee(String grantee) {
        if ("PUBLIC".equals(grantee)) return "PUBLIC";
        int at = grantee.lastIndexOf('@');
        return at < 0 ? literal(grantee) : literal(grantee.substring(0, at)) + "@" + literal(grantee.substring(at + 1));
    }

    /** Nothing to do: MariaDB has no USAGE on a database; the grants on its views are what a user needs. */
    @Override
    public Step grantSchemaUsage(String database, Collection<String> roles) {
        return Step.metadata("version database " + database + " needs no USAGE grant on MariaDB", "DO 0", Locks.derived());
    }

    /**
     * One step per trigger: MariaDB creates one trigger per statement, each taking the table's exclusive metadata lock
     * and committing on its own, so as one step a lock probe had to win the lock once per trigger in one attempt, and
     * under busy writers it often won the first and not the next until the step fell back to a bounded wait, whose
     * queued request makes read-then-write transactions deadlock victims (1213). As steps of their own each is probed
     * alone and checkpointed. Every prefix is safe: the UPDATE triggers come first ({@link MariaDbSyncTrigger}).
     */
    @Override
    public List<Step> createSyncTrigger(SyncTrigger s) {
        MariaDbSyncTrigger t = new MariaDbSyncTrigger(s, flavor);
        List<Step> steps = new ArrayList<>();
        for (MariaDbSyncTrigger.Created c : t.createStatements()) {
            steps.add(Step.metadata("create sync trigger on " + s.table() + " (" + c.trigger().what() + "; exclusive"
                    + " metadata lock for a moment, waiting at most the lock timeout)", c.sql(),
                    exclusive(s.schema(), s.table())));
        }
        return steps;
    }

    /** One step per trigger, as {@link #createSyncTrigger} creates them; each drop is idempotent (IF EXISTS). */
    @Override
    public List<Step> dropSyncTrigger(SyncTrigger s) {
        List<Step> steps = new ArrayList<>();
        for (MariaDbSyncTrigger.Named n : new MariaDbSyncTrigger(s).all()) {
            // Skipped when not there (a trigger that fires before the table's own exists only where the table has
            // some), so the output lists what is dropped, not every name the sync could have used.
            steps.add(new Step("drop sync trigger on " + s.table() + " (" + (n.part() == null ? "BEFORE " + n.event()
                    : n.what()) + "; exclusive metadata lock for a moment, waiting at most the lock timeout)",
                    "DROP TRIGGER IF EXISTS " + qualify(s.schema(), n.name()), exclusive(s.schema(), s.table()),
                    Step.Effect.METADATA, "SELECT NOT EXISTS (SELECT 1 FROM information_schema.TRIGGERS"
                    + " WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?)", List.of(s.schema(), n.name()),
                    Step.Mode.TRANSACTIONAL, null, null));
        }
        return steps;
    }

    @Override
    public Step rawSql(String description, String sql) {
        return Step.raw(description, sql);
    }

    @Override
    public String notNullCheck(String column) {
        return quote(column) + " IS NOT NULL";
    }
}

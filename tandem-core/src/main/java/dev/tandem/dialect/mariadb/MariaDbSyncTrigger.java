package dev.tandem.dialect.mariadb;

import dev.tandem.catalog.Catalog;
import dev.tandem.dialect.Ddl;
import dev.tandem.dialect.Ddl.Assignment;
import dev.tandem.dialect.Ddl.Binding;
import dev.tandem.dialect.Ddl.SyncTrigger;
import dev.tandem.engine.Names;
import dev.tandem.migration.ColumnReferences;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.tandem.dialect.mariadb.MariaDbNames.literal;
import static dev.tandem.dialect.mariadb.MariaDbNames.qualify;
import static dev.tandem.dialect.mariadb.MariaDbNames.quote;

/**
 * The sync triggers of one table on MariaDB: a BEFORE INSERT and a BEFORE UPDATE trigger (MariaDB fires a trigger for
 * one event, not for several), doing what {@code SyncTriggerBody} does on PostgreSQL.
 *
 * <p><b>Who wrote the row.</b> A trigger cannot see the session's default database (DATABASE() is the trigger's own), so
 * a session names its version in the user variable {@code @tandem_version}: the new version's name means the new
 * version ({@code down} fills the old-form columns); no value, or the previous version's name, the previous one
 * ({@code up} fills the new-form columns); anything else is refused with SQLSTATE 45000, naming the version claimed and
 * those known, never translated. Names are compared byte for byte, so neither case nor the session's collation can make
 * two names equal.
 *
 * <p><b>Order.</b> When the user has BEFORE triggers for an event, Tandem's part that gives the old-form columns their
 * values ({@code down}) runs before them ({@code PRECEDES} their first) and the part that computes the new-form columns
 * from the row as they left it ({@code up}) after them ({@code FOLLOWS} their last), as on PostgreSQL. Otherwise one
 * trigger per event does both; created after the user's triggers (none yet), it fires last.
 *
 * <p>{@code up} and {@code down} are written as the migration's author wrote them; each column they name becomes
 * {@code NEW.`physical`} (or {@code OLD.}), rewritten by {@link ColumnReferences} with MariaDB's lexical rules.
 */
final class MariaDbSyncTrigger {
    /** The label of the trigger body, which a backfill write leaves early. */
    private static final String LABEL = "tandem_sync";

    enum Event {
        INSERT("ins"), UPDATE("upd");

        final String suffix;

        Event(String suffix) {
            this.suffix = suffix;
        }
    }

    enum Part { ALL, FIRST, LAST }

    private final SyncTrigger s;
    private final MariaDbDialect.Flavor flavor;

    MariaDbSyncTrigger(SyncTrigger trigger) {
        this(trigger, MariaDbDialect.Flavor.MARIADB);
    }

    MariaDbSyncTrigger(SyncTrigger trigger, MariaDbDialect.Flavor flavor) {
        this.flavor = flavor;
        if (trigger.version() == null) {
            throw new IllegalArgumentException("a MariaDB sync trigger tells versions apart by name: the migration's name is missing");
        }
        this.s = trigger;
    }

    /** Every trigger name this table's sync may have, split or not: what a drop removes. */
    List<String> allNames() {
        return all().stream().map(Named::name).toList();
    }

    /** Every trigger this table's sync may have, split or not, with what it is for people to read. */
    List<Named> all() {
        List<Named> names = new ArrayList<>();
        for (Event e : Event.values()) {
            names.add(new Named(name(e), e, null));
            names.add(new Named(firstName(e), e, Part.FIRST));
        }
        return names;
    }

    /** A sync trigger's name and, for people, its event and where it fires among the table's own triggers. */
    record Named(String name, Event event, Part part) {
        String what() {
            return "BEFORE " + event + (part == Part.FIRST ? ", firing before the table's own BEFORE " + event + " triggers"
                    : part == Part.LAST ? ", firing after the table's own BEFORE " + event + " triggers" : "");
        }
    }

    String name(Event e) {
        return Names.syncTrigger(s.version(), s.table(), e.suffix);
    }

    String firstName(Event e) {
        return Names.syncTrigger(s.version(), s.table(), e.suffix + "_first");
    }

    /** The user's BEFORE triggers of {@code e}, in firing order. */
    private List<String> userTriggers(Event e) {
        return s.userTriggers().stream().filter(Catalog.Trigger::beforeRow)
                .filter(t -> e == Event.INSERT ? t.onInsert() : t.onUpdate()).map(Catalog.Trigger::name).toList();
    }

    /**
     * The CREATE statements, each its own statement (MariaDB creates one trigger at a time), the UPDATE triggers
     * first. Each commits on its own and the step's later ones may not follow for a while (a lock probe that got the
     * table for one statement and not the next; a step that gave up): an INSERT trigger alone would mark the previous
     * version's new rows done, and their next update, with no UPDATE trigger yet, would leave the new-form columns
     * behind for good, as the backfill skips rows marked done. An UPDATE trigger alone leaves new rows not done, for
     * the backfill ({@code HalfCreatedSyncTriggersTest}).
     */
    /** One CREATE TRIGGER statement: which trigger, and the statement. */
    record Created(Named trigger, String sql) {
    }

    List<Created> createStatements() {
        List<Created> sql = new ArrayList<>();
        for (Event e : List.of(Event.UPDATE, Event.INSERT)) {
            List<String> user = userTriggers(e);
            if (user.isEmpty()) {
                sql.add(new Created(new Named(name(e), e, null), create(name(e), e, "", body(e, Part.ALL))));
            } else {
                sql.add(new Created(new Named(firstName(e), e, Part.FIRST), create(firstName(e), e, " PRECEDES " + quote(user.get(0)), body(e, Part.FIRST))));
                sql.add(new Created(new Named(name(e), e, Part.LAST), create(name(e), e, " FOLLOWS " + quote(user.get(user.size() - 1)), body(e, Part.LAST))));
            }
        }
        return sql;
    }

    private String create(String name, Event e, String order, String body) {
        return (createTrigger() + qualify(s.schema(), name) + " BEFORE " + e.name() + " ON "
                + qualify(s.schema(), s.table()) + " FOR EACH ROW" + order + "\n" + body);
    }

    /**
     * MariaDB replaces a trigger atomically ({@code CREATE OR REPLACE}); MySQL has no OR REPLACE for triggers, and a
     * DROP then CREATE would leave a moment in which a write goes untranslated. There the statement is
     * {@code CREATE TRIGGER IF NOT EXISTS} (MySQL 8.0.29 and later, "CREATE TRIGGER Statement", 15.1.22 of the 8.0
     * manual): a trigger of this name already there is this migration's, left by an earlier attempt of the same step
     * (its name holds the migration's; rollback drops it before the migration can be planned again), so it is kept
     * as it is and never dropped while it works. Replacing is never needed: Tandem creates a sync trigger once.
     */
    private String createTrigger() {
        return flavor == MariaDbDialect.Flavor.MYSQL ? "CREATE TRIGGER IF NOT EXISTS " : "CREATE OR REPLACE TRIGGER ";
    }

    private String body(Event e, Part part) {
        Body b = new Body();
        b.line(0, LABEL + ": BEGIN");
        if (part != Part.LAST) {
            if (e == Event.UPDATE) backfillPasses(b);
            refuseNewFormWrites(b, e);
            if (e == Event.UPDATE) fills(b);
        }
        if (part == Part.LAST) {
            b.line(1, "IF " + newVersion() + " THEN");
            redoUpsAfterUserTriggers(b, e);
            b.line(1, "ELSE");
            ups(b, e);
        } else if (part == Part.ALL) {
            b.line(1, "IF " + newVersion() + " THEN");
            downs(b, e);
            b.line(1, "ELSEIF " + previousVersion() + " THEN");
            ups(b, e);
            b.line(1, "ELSE");
            refuse(b);
        } else {
            // Refused before the user's triggers run: they see only writes Tandem can sync.
            b.line(1, "IF " + newVersion() + " THEN");
            downs(b, e);
            b.line(1, "ELSEIF NOT (" + previousVersion() + ") THEN");
            refuse(b);
        }
        b.line(1, "END IF;");
        if (part != Part.FIRST) markDone(b, e);
        b.line(0, "END " + LABEL);
        return b.toString();
    }

    /**
     * Byte for byte: a number or another collation in the variable is compared as the text it holds. A session that
     * sets no {@code @tandem_version} is the new version when it logged in as one of its logins; a session that sets
     * it is the version it names, whatever its login.
     */
    private String newVersion() {
        String named = "CAST(@tandem_version AS BINARY) = CAST(" + literal(s.version()) + " AS BINARY)";
        return s.newVersionLogins().isEmpty() ? named : "(" + named + " OR (@tandem_version IS NULL AND " + byLogin() + "))";
    }

    /** The session logged in as one of the new version's logins: USER() is the client's, also inside a trigger. */
    private String byLogin() {
        return "CAST(SUBSTRING_INDEX(USER(), '@', 1) AS BINARY) IN ("
                + String.join(", ", s.newVersionLogins().stream().map(l -> "CAST(" + literal(l) + " AS BINARY)").toList()) + ")";
    }

    /** Tested after {@link #newVersion}: a new version's login without the variable never gets here. */
    private String previousVersion() {
        return "@tandem_version IS NULL" + (s.previousVersion() == null ? ""
                : " OR CAST(@tandem_version AS BINARY) = CAST(" + literal(s.previousVersion()) + " AS BINARY)");
    }

    private void refuse(Body b) {
        String logins = s.newVersionLogins().isEmpty() ? "" : ", as are sessions of the login(s) "
                + String.join(", ", s.newVersionLogins().stream().map(MariaDbSyncTrigger::quoteText).toList())
                + " that set none";
        String known = "Known to it: " + quoteText(s.version()) + " (the new version" + logins + "), "
                + (s.previousVersion() == null ? "" : quoteText(s.previousVersion()) + " or ") + "no @tandem_version"
                + " (the previous version).";
        b.line(2, "BEGIN");
        // SIGNAL takes a variable or a literal, not an expression.
        b.line(3, "DECLARE message TEXT DEFAULT CONCAT('Tandem: this session claims version ', QUOTE(LEFT(@tandem_version, 64)),"
                + " ' (@tandem_version), which the sync trigger of table ', " + literal(qualify(s.schema(), s.table()))
                + ", ' does not know. ', " + literal(known) + ");");
        b.line(3, "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;");
        b.line(2, "END;");
    }

    private static String quoteText(String name) {
        return "'" + name.replace("'", "''") + "'";
    }

    /**
     * A row the backfill has not reached, updated by either version: the backfill's own write passes untouched (it
     * alone turns the flag on, and computed the columns); an application's gets the new-form columns the writer did not
     * set computed from the old row, so that the row can be marked done.
     */
    private void fills(Body b) {
        if (s.doneColumn() == null || s.fills().isEmpty()) return;
        String done = quote(s.doneColumn());
        b.line(1, "IF OLD." + done + " IS NOT TRUE THEN");
        for (Assignment a : s.fills()) {
            String target = quote(a.target());
            b.line(2, "IF " + same("NEW." + target, "OLD." + target) + " THEN SET NEW." + target + " = ("
                    + expression(a, s.oldBindings(), "OLD") + "); END IF;");
        }
        b.line(1, "END IF;");
    }

    /** The backfill's own write (it alone turns the done flag on) passes untouched: it computed the columns itself. */
    private void backfillPasses(Body b) {
        if (s.doneColumn() == null) return;
        String done = quote(s.doneColumn());
        b.line(1, "IF OLD." + done + " IS NOT TRUE AND NEW." + done + " THEN LEAVE " + LABEL + "; END IF;");
    }

    /**
     * A write taken for the previous version that gives a column only the new version has (a target of {@code up}
     * that is no column of the previous version) a value of its own is the new version's, which lost its
     * {@code @tandem_version}: a pool that resets sessions ({@code useResetConnection}) drops the URL's
     * {@code sessionVariables} after the first checkout. Taken for the previous version, its new-form value would not
     * reach the old form and the previous version's next write of the inputs would overwrite it: refused instead. The
     * previous version names no such column (its views do not show them, its statements on the table predate them), so
     * its update leaves each as it was and its insert leaves each at what expand gave it (NULL, the column's default,
     * or the placeholder of a NOT NULL column). A value equal to what {@code up} computes from the row passes too:
     * the trigger would set that value anyway, which lets a previous version's {@code INSERT ... SELECT *} copy rows of
     * the table. Runs before {@code fills} and {@code up} set the columns, after the backfill's write has left.
     * An insert is not checked for a column whose default is not a constant (it cannot be compared), nor when the plan
     * did not say what expand gave the column.
     */
    private void refuseNewFormWrites(Body b, Event e) {
        Set<String> previousColumns = new java.util.HashSet<>();
        for (Binding binding : s.oldBindings()) previousColumns.add(binding.physical());
        for (Assignment a : s.ups()) {
            if (previousColumns.contains(a.target())) continue;
            Ddl.NewFormColumn column = s.newFormColumns().stream().filter(c -> c.physical().equals(a.target())).findFirst()
                    .orElse(null);
            String value = "NEW." + quote(a.target());
            String written;
            if (e == Event.UPDATE) {
                written = "NOT " + same(value, "OLD." + quote(a.target()));
            } else {
                if (column == null || (column.defaultExpr() != null && !constant(column.defaultExpr()))) continue;
                List<String> leftOut = new ArrayList<>(List.of(value + " IS NULL"));
                if (column.defaultExpr() != null) leftOut.add(sameValue(value, column.defaultExpr()));
                if (column.notNull() && column.defaultExpr() == null) {
                    leftOut.add(sameValue(value, MariaDbDdl.placeholder(column.type())));
                }
                written = "NOT (" + String.join(" OR ", leftOut) + ")";
            }
            b.line(1, "IF (" + previousVersion() + ") AND NOT COALESCE(" + newVersion() + ", FALSE) AND " + written
                    + " AND NOT " + sameValue(value, expression(a, s.oldBindings(), "NEW")) + " THEN");
            b.line(2, "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = " + literal(newFormMessage(newName(a.target()), a.target())) + ";");
            b.line(1, "END IF;");
        }
    }

    /** The name the new version's views give a physical column. */
    private String newName(String physical) {
        return s.newBindings().stream().filter(b -> b.physical().equals(physical)).map(Binding::name).findFirst()
                .orElse(physical);
    }

    /** At most 512 characters, SIGNAL's limit for MESSAGE_TEXT: long names give way to the advice. */
    private String newFormMessage(String name, String physical) {
        String claim = s.previousVersion() == null ? "sets no @tandem_version"
                : "sets no @tandem_version (or " + quoteText(s.previousVersion()) + ")";
        String advice = "Most likely a pool that resets sessions (useResetConnection) lost @tandem_version: set it on"
                + " every checkout (TandemDataSource, or the pool's init SQL) or use a per-version login.";
        String column = name.equals(physical) ? name : name + " (" + physical + ")";
        String message = "Tandem: this session " + claim + ", so the sync trigger of " + qualify(s.schema(), s.table())
                + " takes it for the previous version, but it writes " + column + ", a column only version "
                + s.version() + " has. " + advice;
        if (message.length() <= 512) return message;
        String brief = "Tandem: this session " + claim + " but writes " + name + ", a column only the new version has. ";
        return brief.length() + advice.length() <= 512 ? brief + advice : brief.substring(0, Math.min(brief.length(), 512));
    }

    /**
     * Whether a column holds the value of {@code expression}: a number or a date as a value (a DECIMAL(10,2) column's
     * 11.00 is 11.0), a string byte for byte (a change of case is a value of its own under a case-insensitive
     * collation): comparing with a binary string compares strings byte for byte, anything else by value.
     */
    private static String sameValue(String column, String expression) {
        return "(" + column + " <=> CAST((" + expression + ") AS BINARY))";
    }

    /** A literal, which a BEFORE INSERT trigger can compare with what the column's default gave the row. */
    private static boolean constant(String expression) {
        return expression.trim().matches("(?is)[-+]?[0-9]+(\\.[0-9]*)?(e[-+]?[0-9]+)?|'([^'\\\\]|''|\\\\.)*'|null|true|false");
    }

    /** A new version's write: the old-form columns from the new-form ones. */
    private void downs(Body b, Event e) {
        int before = b.lines;
        if (e == Event.INSERT) {
            // The previous column's default drew this insert's value: the new form takes it through up, and down below
            // gives it back unchanged for a lossless change. MariaDB fills a column's default into NEW before BEFORE
            // INSERT triggers run, except AUTO_INCREMENT, which is still 0 there.
            for (Assignment a : s.drawnDefaults()) {
                String target = "NEW." + quote(a.target());
                b.line(2, "IF " + target + " IS NULL THEN SET " + target + " = (" + expression(a, s.oldBindings(), "NEW")
                        + "); END IF;");
            }
            for (Assignment a : s.insertOnlyDowns()) {
                b.line(2, "SET NEW." + quote(a.target()) + " = (" + expression(a, s.newBindings(), "NEW") + ");");
            }
        }
        for (Assignment a : s.downs()) {
            String set = "SET NEW." + quote(a.target()) + " = (" + expression(a, s.newBindings(), "NEW") + ");";
            if (e == Event.INSERT || a.source() == null) {
                b.line(2, set);
            } else {
                String source = quote(a.source());
                b.line(2, "IF NOT " + same("NEW." + source, "OLD." + source) + " THEN " + set + " END IF;");
            }
        }
        if (b.lines == before) b.line(2, "DO 0;");
    }

    /** A previous version's write (or the backfill's): the new-form columns from the old-form ones. */
    private void ups(Body b, Event e) {
        int before = b.lines;
        for (Assignment a : s.ups()) {
            String set = "SET NEW." + quote(a.target()) + " = (" + expression(a, s.oldBindings(), "NEW") + ");";
            if (e == Event.INSERT) {
                b.line(2, set);
                continue;
            }
            // Only from what this write changed: an update of the previous version that leaves up()'s inputs as they
            // were must not overwrite what the new version wrote into its own columns. No inputs: nothing changes it.
            List<String> changed = used(s.oldBindings(), a).stream()
                    .map(p -> "NOT " + same("NEW." + quote(p.physical()), "OLD." + quote(p.physical()))).toList();
            if (!changed.isEmpty()) b.line(2, "IF " + String.join(" OR ", changed) + " THEN " + set + " END IF;");
        }
        if (b.lines == before) b.line(2, "DO 0;");
    }

    /**
     * After the user's triggers, for a new version's write: a user's trigger that changed an old-form column after
     * {@code down} set it has the new-form column follow it through {@code up}; what the new version wrote stands
     * otherwise.
     */
    private void redoUpsAfterUserTriggers(Body b, Event e) {
        int before = b.lines;
        for (Assignment down : s.downs()) {
            Assignment up = s.ups().stream().filter(u -> u.target().equals(down.source())).findFirst().orElse(null);
            if (up == null) continue;
            b.line(2, "IF NOT " + same("NEW." + quote(down.target()), "(" + expression(down, s.newBindings(), "NEW") + ")")
                    + " THEN SET NEW." + quote(up.target()) + " = (" + expression(up, s.oldBindings(), "NEW") + "); END IF;");
        }
        if (b.lines == before) b.line(2, "DO 0;");
    }

    private void markDone(Body b, Event e) {
        if (s.doneColumn() == null) return;
        // Only when it changes: most writes hit rows that are already done.
        String done = "NEW." + quote(s.doneColumn());
        b.line(1, "IF " + done + " IS NOT TRUE THEN SET " + done + " = TRUE; END IF;");
    }

    /**
     * Whether two values are the same, NULLs included, byte for byte: under a case-insensitive collation {@code <=>}
     * calls 'a' and 'A' equal, and a write that changed only the case must still count as a change.
     */
    private static String same(String a, String b) {
        return "(CAST(" + a + " AS BINARY) <=> CAST(" + b + " AS BINARY))";
    }

    /** {@code a}'s expression with each column it names, as {@code bindings} name them, read from {@code row}. */
    private static String expression(Assignment a, List<Binding> bindings, String row) {
        // The plan's check refuses such text first; a trigger body is a compound statement with its own ';', so
        // nothing may reach it that leaves its parentheses by MariaDB's rules, whoever built the plan.
        String problem = MariaDbExpressionText.problem(a.expr());
        if (problem != null) throw new IllegalArgumentException("the expression `" + a.expr() + "` " + problem);
        Map<String, String> columns = new LinkedHashMap<>();
        for (Binding binding : bindings) columns.putIfAbsent(binding.name(), row + "." + quote(binding.physical()));
        String text = ColumnReferences.rename(a.expr(), columns, Set.of(), ColumnReferences.Syntax.MARIADB).text();
        // A line comment (# or --) in the expression would hide what follows it on the line: end the line first.
        return text.contains("#") || text.contains("--") ? text + "\n" : text;
    }

    private static List<Binding> used(List<Binding> bindings, Assignment a) {
        return bindings.stream().filter(p -> ColumnReferences.mentions(a.expr(), p.name(), ColumnReferences.Syntax.MARIADB))
                .toList();
    }

    /** Lines of a trigger body, indented. */
    private static final class Body {
        private final StringBuilder out = new StringBuilder();
        int lines;

        void line(int indent, String text) {
            out.append("  ".repeat(indent)).append(text).append('\n');
            lines++;
        }

        @Override
        public String toString() {
            return out.toString().stripTrailing();
        }
    }
}

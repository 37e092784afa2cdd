package dev.tandem.dialect.postgres;

import dev.tandem.dialect.Ddl.Assignment;
import dev.tandem.dialect.Ddl.Binding;
import dev.tandem.dialect.Ddl.SyncTrigger;

import java.util.List;

/**
 * The PL/pgSQL body of a sync trigger. User expressions are evaluated inside blocks that declare one variable
 * per column, named as the version that wrote them sees it, so {@code up} and {@code down} can use bare column
 * names exactly as the migration author wrote them.
 *
 * <p>Which version wrote a row is the one whose view PostgreSQL resolved the statement to: the new version's when its
 * schema is the first of the schemas holding the table's name among the session's effective schemas
 * ({@code current_schemas}), not by comparing search_path to one string: applications add schemas of their own, pools
 * reuse connections, and a search path may list both versions' schemas.
 */
final class SyncTriggerBody {
    private final PostgresDialect d;
    private final SyncTrigger s;
    private final StringBuilder out = new StringBuilder();

    SyncTriggerBody(PostgresDialect dialect, SyncTrigger trigger) {
        this.d = dialect;
        this.s = trigger;
    }

    /** Which of the sync trigger's jobs a body does: all of them, or its part before or after the user's triggers. */
    enum Part { ALL, FIRST, LAST }

    String render() {
        return render(Part.ALL);
    }

    String render(Part part) {
        if (part == Part.FIRST) return renderFirst();
        if (part == Part.LAST) return renderLast();
        begin();
        fills();
        line(1, "IF " + newVersionWrites() + " THEN");
        downs();
        line(1, "ELSE");
        ups();
        line(1, "END IF;");
        markDone();
        line(1, "RETURN NEW;");
        line(0, "END;");
        return out.toString();
    }

    /** Before the user's triggers: a new version's write gives the previous version's columns their values. */
    private String renderFirst() {
        begin();
        fills();
        line(1, "IF " + newVersionWrites() + " THEN");
        downs();
        line(1, "END IF;");
        line(1, "RETURN NEW;");
        line(0, "END;");
        return out.toString();
    }

    /**
     * After the user's triggers: the new version's columns follow the row as they left it. For a previous version's
     * write (and the backfill's), {@code up}; for a new version's write, {@code up} only of the columns whose previous
     * form a user's trigger changed after {@code down} set it, so what the new version wrote stands otherwise.
     */
    private String renderLast() {
        begin();
        line(1, "IF " + newVersionWrites() + " THEN");
        List<Assignment> pairs = s.downs().stream().filter(a -> s.ups().stream().anyMatch(u -> u.target().equals(a.source()))).toList();
        if (pairs.isEmpty()) {
            line(2, "NULL;");
        } else {
            block(2, used(s.newBindings(), pairs), "NEW", () -> {
                for (Assignment a : pairs) {
                    Assignment up = s.ups().stream().filter(u -> u.target().equals(a.source())).findFirst().orElseThrow();
                    line(3, "IF NEW." + d.quote(a.target()) + " IS DISTINCT FROM (" + a.expr() + ") THEN");
                    block(4, used(s.oldBindings(), List.of(up)), "NEW", () ->
                            line(5, "NEW." + d.quote(up.target()) + " := (" + up.expr() + ");"));
                    line(3, "END IF;");
                }
            });
        }
        line(1, "ELSE");
        ups();
        line(1, "END IF;");
        markDone();
        line(1, "RETURN NEW;");
        line(0, "END;");
        return out.toString();
    }

    /**
     * Whether PostgreSQL resolved the statement to the new version's view: the new version schema is the first of the
     * schemas holding the table's name in the session's effective search path. The usual path starts with it, which
     * one array subscript settles; the positions are compared only otherwise.
     */
    private String newVersionWrites() {
        String vs = d.literal(s.newVersionSchema()) + "::name";
        if (s.shadowingSchemas().isEmpty()) return vs + " = ANY (" + PATH + ")";
        StringBuilder first = new StringBuilder("least(");
        for (int i = 0; i < s.shadowingSchemas().size(); i++) {
            if (i > 0) first.append(", ");
            first.append("coalesce(array_position(" + PATH + ", ").append(d.literal(s.shadowingSchemas().get(i)))
                    .append("::name), 2147483647)");
        }
        first.append(")");
        return "(" + PATH + "[1] = " + vs + " OR array_position(" + PATH + ", " + vs + ") < " + first + ")";
    }

    /**
     * The session's effective schemas, read once per row: each {@code current_schemas} call builds an array, and the
     * tests of who wrote need it up to four times (a measured cost on every write of the previous version).
     */
    private static final String PATH = "\"_tandem_path\"";

    private void begin() {
        line(0, "DECLARE");
        line(1, PATH + " name[] := current_schemas(false);");
        line(0, "BEGIN");
    }

    private void fills() {
        if (s.doneColumn() != null) {
            // One test for both cases of a row the backfill has not reached; done rows, most of them, skip it.
            String done = d.quote(s.doneColumn());
            line(1, "IF TG_OP = 'UPDATE' AND OLD." + done + " IS NOT TRUE THEN");
            // A backfill write, where its triggers fire at all: it alone turns the done flag on (applications cannot
            // see the flag, so their updates keep it as it was), and it has already computed the new-form columns.
            line(2, "IF NEW." + done + " THEN RETURN NEW; END IF;");
            if (!s.fills().isEmpty()) {
                // An application's update: derive the new-form columns the writer did not set from the old row
                // first, so that the row can be marked done and down() sees real values.
                block(2, used(s.oldBindings(), s.fills()), "OLD", () -> {
                    for (Assignment a : s.fills()) {
                        String target = "NEW." + d.quote(a.target());
                        line(3, "IF " + target + " IS NOT DISTINCT FROM OLD." + d.quote(a.target()) + " THEN "
                                + target + " := (" + a.expr() + "); END IF;");
                    }
                });
            }
            line(1, "END IF;");
        }
    }

    private void downs() {
        if (!s.drawnDefaults().isEmpty()) {
            // The previous column's default has drawn this insert's value (a sequence's nextval): the new form, which
            // has no default of its own until contract, takes it through up, and down below gives it back unchanged
            // for a lossless change. One value drawn per insert, as before the migration.
            block(2, used(s.oldBindings(), s.drawnDefaults()), "NEW", () -> {
                for (Assignment a : s.drawnDefaults()) {
                    String target = "NEW." + d.quote(a.target());
                    line(3, "IF TG_OP = 'INSERT' AND " + target + " IS NULL THEN " + target + " := (" + a.expr() + "); END IF;");
                }
            });
        }
        if (!s.downs().isEmpty() || !s.insertOnlyDowns().isEmpty()) {
            block(2, used(s.newBindings(), concat(s.downs(), s.insertOnlyDowns())), "NEW", () -> {
                for (Assignment a : s.insertOnlyDowns()) {
                    line(3, "IF TG_OP = 'INSERT' THEN NEW." + d.quote(a.target()) + " := (" + a.expr() + "); END IF;");
                }
                for (Assignment a : s.downs()) {
                    String when = a.source() == null ? "TRUE"
                            : "TG_OP = 'INSERT' OR NEW." + d.quote(a.source()) + " IS DISTINCT FROM OLD." + d.quote(a.source());
                    line(3, "IF " + when + " THEN NEW." + d.quote(a.target()) + " := (" + a.expr() + "); END IF;");
                }
            });
        } else {
            line(2, "NULL;");
        }
    }

    private void ups() {
        if (!s.ups().isEmpty()) {
            // A session that asked for the new version but may not use its schema (no USAGE: PostgreSQL skips it
            // silently) would have up() overwrite what it wrote. Refuse its write instead of translating it.
            String vs = d.literal(s.newVersionSchema());
            // A session that can use it but lists the table's schema or the previous version's first is the previous
            // version by PostgreSQL's resolution, and is not refused.
            line(2, "IF strpos(current_setting('search_path'), " + vs + ") > 0 AND NOT " + vs + " = ANY (" + PATH + ") THEN");
            // The schema is missing until the new version is ready (its backfill completes), or the role lacks USAGE.
            line(3, "RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state', MESSAGE = 'the search path names"
                    + " version schema ' || " + vs + " || ', which this session cannot use, so this write cannot be told from"
                    + " the previous version''s', HINT = CASE WHEN to_regnamespace(quote_ident(" + vs + ")) IS NULL THEN"
                    + " 'the schema does not exist yet: the new version is not ready until `tandem backfill` completes'"
                    + " ELSE 'GRANT USAGE ON SCHEMA ' || quote_ident(" + vs + ") || ' TO ' || quote_ident(current_user)"
                    + " || ' and grant it on the version''s views what it may do on the tables' END;");
            line(2, "END IF;");
            block(2, used(s.oldBindings(), s.ups()), "NEW", () -> {
                for (Assignment a : s.ups()) {
                    // Only from what this write changed: an update of the previous version that leaves up()'s inputs
                    // as they were must not overwrite what the new version wrote into its own columns.
                    line(3, "IF " + inputsChanged(a) + " THEN NEW." + d.quote(a.target()) + " := (" + a.expr() + "); END IF;");
                }
            });
        } else {
            line(2, "NULL;");
        }
    }

    /** On INSERT, or when a column {@code a}'s expression reads differs between OLD and NEW. */
    private String inputsChanged(Assignment a) {
        List<Binding> inputs = used(s.oldBindings(), List.of(a));
        if (inputs.isEmpty()) return "TG_OP = 'INSERT'";
        String now = String.join(", ", inputs.stream().map(b -> "NEW." + d.quote(b.physical())).toList());
        String was = String.join(", ", inputs.stream().map(b -> "OLD." + d.quote(b.physical())).toList());
        return inputs.size() == 1 ? "TG_OP = 'INSERT' OR " + now + " IS DISTINCT FROM " + was
                : "TG_OP = 'INSERT' OR ROW(" + now + ") IS DISTINCT FROM ROW(" + was + ")";
    }

    private void markDone() {
        if (s.doneColumn() != null) {
            // Only when it changes: most writes hit rows that are already done, and an unchanged flag needs no write.
            String done = "NEW." + d.quote(s.doneColumn());
            line(1, "IF " + done + " IS NOT TRUE THEN " + done + " := true; END IF;");
        }
    }

    /**
     * The bindings an expression may name. Each declared variable costs a copy per row, so columns no expression
     * mentions are left out; a name that only looks mentioned (say, inside a string) merely costs that copy.
     */
    private static List<Binding> used(List<Binding> bindings, List<Assignment> assignments) {
        return bindings.stream().filter(b -> assignments.stream().anyMatch(a -> mentions(a.expr(), b.name()))).toList();
    }

    static boolean mentions(String expression, String name) {
        if (expression.contains("\"" + name.replace("\"", "\"\"") + "\"")) return true;
        // Unquoted names fold to lower case, so compare without case, on identifier boundaries.
        return java.util.regex.Pattern.compile("(?<![\\p{L}\\p{N}_$\"])" + java.util.regex.Pattern.quote(name)
                + "(?![\\p{L}\\p{N}_$\"])", java.util.regex.Pattern.CASE_INSENSITIVE | java.util.regex.Pattern.UNICODE_CASE)
                .matcher(expression).find();
    }

    private static List<Assignment> concat(List<Assignment> a, List<Assignment> b) {
        List<Assignment> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private void block(int indent, List<Binding> bindings, String row, Runnable statements) {
        line(indent, "DECLARE");
        for (Binding b : bindings) {
            line(indent + 1, d.quote(b.name()) + " " + d.qualify(s.schema(), s.table()) + "." + d.quote(b.physical())
                    + "%TYPE := " + row + "." + d.quote(b.physical()) + ";");
        }
        line(indent, "BEGIN");
        statements.run();
        line(indent, "END;");
    }

    private void line(int indent, String text) {
        out.append("  ".repeat(indent)).append(text).append('\n');
    }
}

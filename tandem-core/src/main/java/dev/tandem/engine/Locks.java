package dev.tandem.engine;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a step locks: per table or view, the strongest mode, or an honest "unknown" with the reason. Locks on a
 * table's own indexes, sequences and TOAST table are not listed: they come with the table.
 *
 * @param source where the list comes from
 * @param tables per relation the strongest mode, in the order the statements first touch them; empty when unknown
 * @param reason why the locks are unknown, or null
 */
public record Locks(Source source, List<TableLock> tables, @JsonInclude(JsonInclude.Include.NON_NULL) String reason) {

    public enum Source {
        /** Computed by Tandem from the statements it builds. */
        DERIVED,
        /** Read from pg_locks while the statement ran (e.g. raw SQL probed in a rolled-back transaction). */
        MEASURED,
        /** Not known; {@code reason} says why. */
        UNKNOWN
    }

    public Locks {
        if (source == null) throw new IllegalArgumentException("locks need a source");
        tables = tables == null ? List.of() : List.copyOf(tables);
        if (source == Source.UNKNOWN && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException("unknown locks need a reason");
        }
        if (source == Source.UNKNOWN && !tables.isEmpty()) {
            throw new IllegalArgumentException("unknown locks cannot list tables");
        }
    }

    public static Locks derived(TableLock... tables) {
        return new Locks(Source.DERIVED, merge(List.of(tables)), null);
    }

    public static Locks derived(List<TableLock> tables) {
        return new Locks(Source.DERIVED, merge(tables), null);
    }

    public static Locks measured(List<TableLock> tables) {
        return new Locks(Source.MEASURED, merge(tables), null);
    }

    public static Locks unknown(String reason) {
        return new Locks(Source.UNKNOWN, List.of(), reason);
    }

    public boolean known() {
        return source != Source.UNKNOWN;
    }

    /**
     * The locks of several statements run in one transaction: per relation the strongest, since a transaction
     * keeps every lock it took until it ends. A relation renamed by an earlier statement and named by its new
     * name in a later one is still the same relation, listed under the name it had when the transaction began.
     */
    public static Locks sequence(List<Locks> parts) {
        List<TableLock> all = new ArrayList<>();
        for (Locks p : parts) {
            if (!p.known()) return p;
            all.addAll(p.tables());
        }
        boolean measured = parts.stream().anyMatch(p -> p.source() == Source.MEASURED);
        return new Locks(measured ? Source.MEASURED : Source.DERIVED, merge(all), null);
    }

    /** Per relation the strongest mode; later statements may name a relation by the name an earlier one gave it. */
    static List<TableLock> merge(List<TableLock> locks) {
        Map<String, String> startName = new LinkedHashMap<>();
        Map<String, TableLock> merged = new LinkedHashMap<>();
        for (TableLock l : locks) {
            String key = startName.getOrDefault(key(l.schema(), l.table()), key(l.schema(), l.table()));
            TableLock was = merged.get(key);
            String renamedTo = l.renamedTo() != null ? l.renamedTo() : was == null ? null : was.renamedTo();
            String table = was == null ? l.table() : was.table();
            merged.put(key, new TableLock(l.schema(), table, l.mode().strongest(was == null ? null : was.mode()), renamedTo));
            if (l.renamedTo() != null) startName.put(key(l.schema(), l.renamedTo()), key);
        }
        return List.copyOf(merged.values());
    }

    private static String key(String schema, String table) {
        return schema + '\0' + table;
    }

    /** One line for people: {@code ACCESS EXCLUSIVE on app.users; ACCESS SHARE on app.orders}, or why it is unknown. */
    public String summary() {
        if (!known()) return "unknown (" + reason + ")";
        if (tables.isEmpty()) return "none on tables or views";
        List<String> parts = new ArrayList<>();
        for (TableLock t : tables) {
            parts.add(t.mode().text + " on " + t.qualifiedName() + (t.renamedTo() != null ? " (renamed to " + t.renamedTo() + ")" : ""));
        }
        return String.join("; ", parts) + (source == Source.MEASURED ? " (measured)" : "");
    }
}

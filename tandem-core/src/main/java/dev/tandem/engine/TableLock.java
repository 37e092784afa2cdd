package dev.tandem.engine;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The strongest lock a step takes on one table or view, named as it is called when the step starts.
 *
 * @param renamedTo the name the step gives the relation, or null; a later statement of the same transaction that
 *                  uses that name means the same relation (see {@link Locks#merge})
 */
public record TableLock(String schema, String table, LockMode mode,
                        @JsonInclude(JsonInclude.Include.NON_NULL) String renamedTo) {

    public TableLock {
        if (schema == null || table == null || mode == null) {
            throw new IllegalArgumentException("a table lock needs a schema, a table and a mode");
        }
    }

    public TableLock(String schema, String table, LockMode mode) {
        this(schema, table, mode, null);
    }

    /** {@code schema.table}, as people read it (not SQL: names are not quoted). */
    public String qualifiedName() {
        return schema + "." + table;
    }
}

package dev.tandem.engine.lifecycle;

import dev.tandem.migration.Migration;
import dev.tandem.state.MigrationState;
import dev.tandem.state.Phase;

/** The first migration that is not complete, with what the database recorded of it (null: never expanded). */
public record CurrentMigration(Migration migration, MigrationState state) {
    public Phase phase() {
        return state == null ? Phase.PENDING : state.phase();
    }

    public String name() {
        return migration.name();
    }
}

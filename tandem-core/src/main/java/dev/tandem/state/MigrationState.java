package dev.tandem.state;

import java.time.Instant;

/** A migration's row in the state schema. */
public record MigrationState(String name, Phase phase, String checksum, String file, String versionSchema,
                             String previousVersionSchema, String planJson, int stepsDone, Instant startedAt,
                             Instant expandedAt, Instant backfilledAt, Instant completedAt, Instant rolledBackAt) {
}

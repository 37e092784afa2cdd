package dev.tandem;

import java.util.Set;

/**
 * Server sessions that contract and rollback may leave out although they cannot be attributed to a version: on MariaDB
 * and MySQL, client sessions with no default database (a monitoring agent, a DBA's console, or an application that
 * names its tables with their database). Only these are waived; every other check of the guard still runs, and each
 * session left out is written to the history (README, "MariaDB", what the contract guard sees).
 *
 * @param connections the server's connection ids to leave out
 * @param all         leave out every such session
 */
public record IgnoredSessions(Set<Long> connections, boolean all) {
    /** Nothing left out: every unattributed session blocks. */
    public static final IgnoredSessions NONE = new IgnoredSessions(Set.of(), false);

    public IgnoredSessions {
        connections = Set.copyOf(connections);
    }

    /** These connection ids only. */
    public static IgnoredSessions of(Long... connections) {
        return new IgnoredSessions(Set.of(connections), false);
    }

    /** Whether the session with this connection id is left out. */
    public boolean covers(long connection) {
        return all || connections.contains(connection);
    }
}

package dev.tandem.dialect.mariadb;

import dev.tandem.dialect.Dialect;
import dev.tandem.dialect.Dialects;
import dev.tandem.state.StateStore;
import dev.tandem.testing.MariaDb;
import dev.tandem.testing.Rows;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

/** The MariaDB dialect against a real MariaDB: what it writes, the server reads as meant; what the server says, it reads right. */
class MariaDbDialectTest {
    private final MariaDbDialect dialect = new MariaDbDialect(MariaDbDialect.Flavor.MARIADB);

    private static SQLException sqlError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return sqlError(call, "the statement");
    }

    private static SQLException sqlError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String what) {
        SQLException e = catchThrowableOfType(call, SQLException.class);
        if (e == null) fail(what + " did not fail");
        return e;
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void namesAndLiteralsAreTakenLiterally() throws SQLException {
        String database = MariaDb.newDatabase("quote`d 'db'");
        String table = "t`a\"b'c \\ d";
        String column = "co`l`";
        List<String> values = List.of("it's", "back\\slash", "\\'", "\\n is not a newline", "`tick`", "ü ☃", "'; DROP TABLE x; --");
        try (Connection c = MariaDb.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + dialect.qualify(database, table) + " (id INT AUTO_INCREMENT PRIMARY KEY, "
                    + dialect.quote(column) + " TEXT)");
            for (String v : values) {
                st.execute("INSERT INTO " + dialect.qualify(database, table) + " (" + dialect.quote(column) + ") VALUES ("
                        + dialect.literal(v) + ")");
            }
            assertThat(Rows.query(MariaDb.dataSource(), "SELECT " + dialect.quote(column) + " AS v FROM "
                    + dialect.qualify(database, table) + " ORDER BY id")).extracting(r -> r.get("v")).containsExactlyElementsOf(values);
            assertThat(dialect.schemaExists(c, database)).isTrue();
            assertThat(dialect.schemaExists(c, database.toUpperCase())).as("names are case-sensitive on Linux").isFalse();
            assertThat(dialect.schemaExists(c, database + "x")).isFalse();
        }
        assertThatThrownBy(() -> dialect.quote("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRowLockWaitEndsAfterTheLockTimeoutAndIsRetryable() throws Exception {
        String db = MariaDb.newDatabase("rowlock");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 0)");
        try (Connection holder = MariaDb.dataSource(db).getConnection(); Connection waiter = MariaDb.dataSource(db).getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.executeQuery("SELECT * FROM t WHERE id = 1 FOR UPDATE").close();
            }
            dialect.setTimeouts(waiter, Duration.ofMillis(500), Duration.ofSeconds(30));
            long start = System.nanoTime();
            SQLException e = sqlError(() -> {
                try (Statement st = waiter.createStatement()) {
                    st.executeUpdate("UPDATE t SET v = 1 WHERE id = 1");
                }
            });
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertThat(e.getErrorCode()).isEqualTo(MariaDbDialect.LOCK_WAIT_TIMEOUT);
            assertThat(dialect.isRetryable(e)).isTrue();
            // 500 ms rounds up to the 1 s the server counts in; the default would be 50 s.
            assertThat(waited).isBetween(900L, 5_000L);
            assertThat(dialect.isConnectionLost(e)).isFalse();
            holder.rollback();
        }
    }

    @Test
    void aMetadataLockWaitEndsAfterTheLockTimeoutAndIsRetryable() throws Exception {
        String db = MariaDb.newDatabase("mdl");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY)");
        try (Connection reader = MariaDb.dataSource(db).getConnection(); Connection ddl = MariaDb.dataSource(db).getConnection()) {
            reader.setAutoCommit(false);
            try (Statement st = reader.createStatement()) {
                st.executeQuery("SELECT * FROM t").close(); // an open transaction that read the table holds its metadata lock
            }
            dialect.setTimeouts(ddl, Duration.ofSeconds(1), Duration.ofSeconds(30));
            long start = System.nanoTime();
            SQLException e = sqlError(() -> {
                try (Statement st = ddl.createStatement()) {
                    st.execute("ALTER TABLE t ADD COLUMN n INT, ALGORITHM=INSTANT, LOCK=NONE");
                }
            });
            assertThat(e.getErrorCode()).isEqualTo(MariaDbDialect.LOCK_WAIT_TIMEOUT);
            assertThat(dialect.isRetryable(e)).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(900L, 5_000L);
            // What every MariaDB ALTER of Tandem's carries instead: a wait of its own, and NOWAIT.
            for (String wait : List.of("WAIT 0.2", "NOWAIT")) {
                SQLException fast = sqlError(() -> {
                    try (Statement st = ddl.createStatement()) {
                        st.execute("ALTER TABLE t " + wait + " ADD COLUMN n INT, ALGORITHM=INSTANT, LOCK=NONE");
                    }
                }, wait);
                assertThat(dialect.isRetryable(fast)).as(wait + ": " + fast.getMessage()).isTrue();
            }
            reader.rollback();
        }
    }

    @Test
    void aStatementOverItsTimeIsStoppedAndRetryable() throws Exception {
        String db = MariaDb.newDatabase("slow");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t SELECT seq FROM seq_1_to_300");
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            dialect.setTimeouts(c, Duration.ofSeconds(1), Duration.ofMillis(300));
            long start = System.nanoTime();
            SQLException e = sqlError(() -> scalar(c,
                    "SELECT COUNT(*) FROM t a, t b, t c WHERE a.id + b.id + c.id > 0"));
            assertThat(e.getErrorCode()).isEqualTo(MariaDbDialect.STATEMENT_TIMEOUT);
            assertThat(dialect.isRetryable(e)).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000L);
            // Zero is no limit, as on PostgreSQL.
            dialect.setTimeouts(c, Duration.ZERO, Duration.ZERO);
            assertThat(scalar(c, "SELECT @@max_statement_time")).startsWith("0");
            assertThat(scalar(c, "SELECT @@innodb_lock_wait_timeout")).isEqualTo("31536000");
        }
    }

    @Test
    void transactionTimeoutsArePutBackForTheApplicationsConnection() throws SQLException {
        try (Connection c = MariaDb.dataSource().getConnection()) {
            String before = scalar(c, "SELECT CONCAT_WS('/', @@lock_wait_timeout, @@innodb_lock_wait_timeout, @@max_statement_time)");
            c.setAutoCommit(false);
            dialect.setTransactionTimeouts(c, Duration.ofSeconds(1), Duration.ofSeconds(3));
            dialect.setTransactionTimeouts(c, Duration.ofSeconds(2), Duration.ofSeconds(4)); // the first saved values stay
            assertThat(scalar(c, "SELECT CONCAT_WS('/', @@lock_wait_timeout, @@innodb_lock_wait_timeout, @@max_statement_time)"))
                    .isEqualTo("2/2/4.000000");
            c.commit();
            c.setAutoCommit(true);
            dialect.endTransactionTimeouts(c);
            assertThat(scalar(c, "SELECT CONCAT_WS('/', @@lock_wait_timeout, @@innodb_lock_wait_timeout, @@max_statement_time)"))
                    .isEqualTo(before);
            dialect.endTransactionTimeouts(c); // nothing saved: nothing changes
            assertThat(scalar(c, "SELECT CONCAT_WS('/', @@lock_wait_timeout, @@innodb_lock_wait_timeout, @@max_statement_time)"))
                    .isEqualTo(before);
        }
    }

    @Test
    void missingObjectsAndLostConnectionsAreToldApart() throws Exception {
        String db = MariaDb.newDatabase("missing");
        try (Connection c = MariaDb.dataSource(db).getConnection(); Connection admin = MariaDb.dataSource().getConnection()) {
            for (String sql : List.of("SELECT * FROM no_such_table", "SELECT * FROM no_such_db.t", "USE no_such_db",
                    "DROP TABLE no_such_table", "DROP DATABASE no_such_db")) {
                SQLException e = sqlError(() -> c.createStatement().execute(sql));
                assertThat(dialect.isUndefinedObject(e)).as(sql + ": " + e.getMessage()).isTrue();
                assertThat(dialect.isRetryable(e)).isFalse();
                assertThat(dialect.describeError(e)).doesNotStartWith("(conn=").contains("no_such");
            }
            SQLException syntax = sqlError(() -> c.createStatement().execute("SELEC 1"));
            assertThat(dialect.isUndefinedObject(syntax)).isFalse();
            assertThat(dialect.cannotRunInTransaction(syntax)).isFalse();

            admin.createStatement().execute("KILL CONNECTION " + scalar(c, "SELECT CONNECTION_ID()"));
            SQLException lost = sqlError(() -> scalar(c, "SELECT 1"));
            assertThat(dialect.isConnectionLost(lost)).as(lost.getMessage()).isTrue();
        }
    }

    @Test
    void typesAreCanonicalAsColumnTypePrintsThem() throws SQLException {
        String db = MariaDb.newDatabase("types");
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            assertThat(dialect.canonicalType(c, "INT")).isEqualTo("int(11)");
            assertThat(dialect.canonicalType(c, "integer")).isEqualTo("int(11)");
            assertThat(dialect.canonicalType(c, "BIGINT UNSIGNED")).isEqualTo("bigint(20) unsigned");
            assertThat(dialect.canonicalType(c, "VARCHAR( 20 )")).isEqualTo("varchar(20)");
            assertThat(dialect.canonicalType(c, "decimal(10, 2)")).isEqualTo("decimal(10,2)");
            assertThat(dialect.canonicalType(c, "BOOLEAN")).isEqualTo("tinyint(1)");
            assertThat(dialect.canonicalType(c, "enum('a','b''c', 'd,e')")).isEqualTo("enum('a','b''c','d,e')");
            // Collations are the catalog's business apart from the type, as on PostgreSQL; a wrong one is refused.
            assertThat(dialect.canonicalType(c, "varchar(20) CHARACTER SET latin1")).isEqualTo("varchar(20)");
            sqlError(() -> dialect.checkType(c, "varchar(20) CHARACTER SET no_such_charset"));
            assertThat(dialect.canonicalType(c, "datetime(6)")).isEqualTo("datetime(6)");

            for (String notAType : List.of("int, x int", "int) ENGINE=MEMORY; DROP TABLE t; (", "int NOT NULL",
                    "int DEFAULT 1", "int AS (1)", "int PRIMARY KEY", "int CHECK (v > 0)", "int -- x", "int /* x */", "",
                    "varchar(20", "enum('a)")) {
                sqlError(() -> dialect.checkType(c, notAType), notAType);
            }
            SQLException unknown = sqlError(() -> dialect.checkType(c, "no_such_type"));
            assertThat(dialect.describeError(unknown)).contains("no_such_type");
        }
    }

    /** The planner compares a migration's types with the catalog's: a type canonical here reads so from the catalog. */
    @Test
    void canonicalTypesAreTheCatalogsTypes() throws SQLException {
        String db = MariaDb.newDatabase("typecat");
        List<String> written = List.of("INT", "BIGINT UNSIGNED", "varchar(20) CHARACTER SET latin1", "DECIMAL(10, 2)",
                "enum('a','b''c')", "DATETIME(3)", "boolean", "text", "VARBINARY(16)");
        StringBuilder ddl = new StringBuilder("CREATE TABLE t (id INT PRIMARY KEY");
        for (int i = 0; i < written.size(); i++) ddl.append(", c").append(i).append(' ').append(written.get(i));
        MariaDb.exec(db, ddl.append(")").toString());
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            var columns = dialect.readCatalog(c, db).tables().get("t").columns();
            for (int i = 0; i < written.size(); i++) {
                String name = "c" + i;
                String inCatalog = columns.stream().filter(col -> col.name().equals(name)).findFirst().orElseThrow().type();
                assertThat(dialect.canonicalType(c, written.get(i))).as(written.get(i)).isEqualTo(inCatalog);
            }
        }
    }

    /** The type check's temporary table neither commits the open transaction nor stays behind. */
    @Test
    void checkingATypeLeavesTheTransactionOpen() throws SQLException {
        String db = MariaDb.newDatabase("typetx");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY)");
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO t VALUES (1)");
            dialect.checkType(c, "bigint");
            c.rollback();
            assertThat(scalar(c, "SELECT COUNT(*) FROM t")).isEqualTo("0");
            sqlError(() -> scalar(c, "SELECT * FROM _tandem_type_probe"));
        }
        try (Connection none = MariaDb.withoutDatabase().getConnection()) {
            assertThatThrownBy(() -> dialect.checkType(none, "int")).hasMessageContaining("no default database");
        }
    }

    @Test
    void theSearchPathIsTheDefaultDatabaseAndTheNameGoesIntoSessionVariables() throws SQLException {
        String db = MariaDb.newDatabase("app");
        String version = MariaDb.newDatabase("app_002");
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            assertThat(dialect.defaultSchema(c)).isEqualTo(db);
            dialect.setSearchPath(c, List.of(version, db));
            assertThat(scalar(c, "SELECT DATABASE()")).isEqualTo(version);
            c.createStatement().execute(dialect.setSearchPathStatement(List.of(db)));
            assertThat(scalar(c, "SELECT DATABASE()")).isEqualTo(db);
            assertThat(dialect.searchPathValue(List.of(version, db))).isEqualTo(version);

            dialect.setApplicationName(c, "tandem:002_email:node-1");
            assertThat(scalar(c, "SELECT CONCAT(@tandem_session, '|', @tandem_version)")).isEqualTo("tandem:002_email:node-1|002_email");
            // Tandem's own sessions are named, and leave the version the application set alone.
            dialect.setApplicationName(c, "tandem backfill pid 1 on host");
            assertThat(scalar(c, "SELECT CONCAT(@tandem_session, '|', @tandem_version)")).isEqualTo("tandem backfill pid 1 on host|002_email");
        }
        try (Connection none = MariaDb.withoutDatabase().getConnection()) {
            assertThatThrownBy(() -> dialect.defaultSchema(none)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("no default database");
        }
    }

    /** Keys as text that reads back exactly: BIGINT UNSIGNED past 2^63, bytes, times with microseconds, ENUM order. */
    @Test
    void keyWalksResumeExactlyFromTheirTextKeys() throws SQLException {
        String db = MariaDb.newDatabase("keys");
        MariaDb.exec(db, "CREATE TABLE t (id BIGINT UNSIGNED, code VARBINARY(4), at DATETIME(6), size ENUM('small','large'),"
                        + " v INT, PRIMARY KEY (id, code, at, size))",
                "INSERT INTO t VALUES (18446744073709551614, x'00ff', '2024-01-01 00:00:00.000001', 'large', 1),"
                        + " (18446744073709551614, x'00ff', '2024-01-01 00:00:00.000002', 'small', 2),"
                        + " (18446744073709551614, x'00ff', '2024-01-01 00:00:00.000002', 'large', -3),"
                        + " (18446744073709551615, x'00', '2023-01-01 00:00:00', 'small', 4),"
                        + " (18446744073709551615, x'ff', '2023-01-01 00:00:00', 'small', NULL)");
        List<String> keys = List.of("id", "code", "at", "size");
        try (Connection c = MariaDb.dataSource(db).getConnection()) {
            assertThat(dialect.highestKey(c, db, "t", keys)).containsExactly("18446744073709551615", "FF", "2023-01-01 00:00:00.000000", "1");
            List<String> types = List.of("bigint(20) unsigned", "varbinary(4)", "datetime(6)", "enum('small','large')");
            List<String> predicates = List.of("v < 0", "v > 1");
            Dialect.VerifyChunk first = dialect.verifyChunk(c, db, "t", keys, types, null, 2, predicates);
            assertThat(first.walked()).isEqualTo(2);
            assertThat(first.lastKey()).containsExactly("18446744073709551614", "00FF", "2024-01-01 00:00:00.000002", "1");
            assertThat(first.counts()).containsExactly(0, 1);
            Dialect.VerifyChunk second = dialect.verifyChunk(c, db, "t", keys, types, first.lastKey(), 2, predicates);
            assertThat(second.walked()).isEqualTo(2);
            assertThat(second.counts()).containsExactly(1, 1); // v IS NULL matches neither
            assertThat(second.samples().get(0)).containsExactly("(18446744073709551614,00FF,2024-01-01 00:00:00.000002,2)");
            Dialect.VerifyChunk third = dialect.verifyChunk(c, db, "t", keys, types, second.lastKey(), 2, predicates);
            assertThat(third.walked()).isEqualTo(1);
            assertThat(third.lastKey()).containsExactly("18446744073709551615", "FF", "2023-01-01 00:00:00.000000", "1");
            assertThat(dialect.verifyChunk(c, db, "t", keys, types, third.lastKey(), 2, predicates).walked()).isZero();

            MariaDb.exec(db, "CREATE TABLE empty (id INT PRIMARY KEY)");
            assertThat(dialect.highestKey(c, db, "empty", List.of("id"))).isNull();
            assertThat(dialect.estimateRows(c, db, "t")).isPositive();
            assertThat(dialect.estimateRows(c, db, "empty")).isZero();
        }
    }

    @Test
    void violationsAreCountedWithSampleRows() throws SQLException {
        String db = MariaDb.newDatabase("violations");
        MariaDb.exec(db, "CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(50))",
                "INSERT INTO t VALUES (1, 'a@b'), (2, NULL), (3, 'no at'), (4, 'also none')");
        try (Connection c = MariaDb.dataSource().getConnection()) {
            Dialect.Violations v = dialect.violations(c, db, "t", "email LIKE '%@%'", 1);
            assertThat(v.rows()).isEqualTo(2); // NULL passes, as a CHECK constraint would let it
            assertThat(v.samples()).hasSize(1).first().asString().matches("\\(\\d,[a-z ]+\\)");
        }
    }

    @Test
    void activeSessionsCountOthersRunningAStatement() throws Exception {
        try (Connection c = MariaDb.dataSource().getConnection(); Connection busy = MariaDb.dataSource().getConnection()) {
            int idle = dialect.otherActiveSessions(c, "tandem");
            CompletableFuture<String> sleeping = CompletableFuture.supplyAsync(() -> {
                try {
                    return scalar(busy, "SELECT SLEEP(3)");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            int seen = idle;
            while (seen == idle && System.nanoTime() < deadline) seen = dialect.otherActiveSessions(c, "tandem");
            assertThat(seen).isEqualTo(idle + 1);
            sleeping.get(10, TimeUnit.SECONDS);
        }
    }

    /** The embedded server has no METADATA_LOCK_INFO plugin: a session's locks are unknown, never "none". */
    @Test
    void locksAreUnknownWithoutTheMetadataLockPlugin() throws SQLException {
        try (Connection c = MariaDb.dataSource().getConnection()) {
            assertThat(MariaDbLocks.metadataLockInfo(c)).isFalse();
            assertThatThrownBy(() -> dialect.relationLocksHeld(c, dialect.relationNames(c)))
                    .isInstanceOf(Dialect.LocksUnknown.class).hasMessageContaining("METADATA_LOCK_INFO");
        }
    }

    /**
     * The heartbeat read on the server that wrote it: caught up at every check, however far apart the checks are
     * (a replica that applied the last beat is not "as far behind as the beat before it"), for a login that may only
     * SELECT in the state database; a login that may not is told which grant it lacks.
     */
    @Test
    void theReplicationHeartbeatNeedsOnlySelectOnTheStateDatabase() throws Exception {
        String schema = MariaDb.newDatabase("beat");
        String stateDb = MariaDb.newDatabase("beat_state");
        String reader = MariaDb.newUser("beat_reader", "SELECT ON " + MariaDb.quote(stateDb) + ".*");
        String nobody = MariaDb.newUser("beat_nobody");
        try (Connection primary = MariaDb.dataSource().getConnection();
             Connection select = MariaDb.dataSourceAs(reader).getConnection();
             Connection plain = MariaDb.dataSourceAs(nobody).getConnection()) {
            dialect.stateStore(stateDb, schema).install(primary);
            assertThat(sqlError(() -> scalar(select, "SHOW ALL REPLICAS STATUS"), "SHOW ALL REPLICAS STATUS without REPLICA MONITOR")
                    .getErrorCode()).isEqualTo(1227);
            var meter = dialect.replicaLagMeter(stateDb, schema);
            for (int check = 0; check < 3; check++) {
                meter.mark(primary);
                Thread.sleep(300);
                assertThat(meter.lag(primary, select).behind()).as("check %d, 300 ms after the one before", check).isZero();
            }
            assertThat(Rows.scalar(MariaDb.dataSource(), "SELECT COUNT(*) FROM " + dialect.qualify(stateDb, "replication_heartbeat")))
                    .as("one row per schema").isEqualTo(1L);
            assertThat(sqlError(() -> meter.lag(primary, plain)).getMessage())
                    .contains("may not read Tandem's replication heartbeat").contains("SELECT ON " + MariaDb.quote(stateDb) + ".*");
            assertThat(dialect.replicationLagSeenByPrimary(primary)).isZero();
        }
    }

    /**
     * A server without the beat (here: a schema whose backfill never beat on it) is as far behind as the first beat it
     * lacks, and says so; a beat of an earlier run it has applied counts as older than all of this run's.
     */
    @Test
    void aServerWithoutTheBeatIsBehindTheFirstBeatItLacks() throws Exception {
        String schema = MariaDb.newDatabase("nobeat");
        String stateDb = MariaDb.newDatabase("nobeat_state");
        try (Connection primary = MariaDb.dataSource().getConnection()) {
            dialect.stateStore(stateDb, schema).install(primary);
            var writer = dialect.replicaLagMeter(stateDb, schema);
            writer.mark(primary);
            // The row vanishes as if the server had never applied it (what a server that does not replicate shows).
            Rows.update(MariaDb.dataSource(), "DELETE FROM " + dialect.qualify(stateDb, "replication_heartbeat"));
            Thread.sleep(200);
            var lag = writer.lag(primary, primary);
            assertThat(lag.behind()).isBetween(Duration.ofMillis(200), Duration.ofSeconds(5));
            assertThat(lag.why()).contains("has applied none of Tandem's replication heartbeats").contains("ms ago")
                    .contains("@@gtid_slave_pos is empty");

            // A new run: the earlier run's beat is there, this run's first is not yet.
            writer.mark(primary);
            String earlier = scalar(primary, "SELECT beat_at FROM " + dialect.qualify(stateDb, "replication_heartbeat"));
            var next = dialect.replicaLagMeter(stateDb, schema);
            next.mark(primary);
            Rows.update(MariaDb.dataSource(), "UPDATE " + dialect.qualify(stateDb, "replication_heartbeat")
                    + " SET beat_at = '" + earlier + "'");
            Thread.sleep(200);
            var behind = next.lag(primary, primary);
            assertThat(behind.why()).isNull();
            assertThat(behind.behind()).isBetween(Duration.ofMillis(200), Duration.ofSeconds(5));
        }
    }

    @Test
    void dialectsAreChosenByServerAndUrl() throws SQLException {
        try (Connection c = MariaDb.dataSource().getConnection()) {
            Dialect chosen = Dialects.forConnection(c);
            assertThat(chosen).isInstanceOf(MariaDbDialect.class);
            assertThat(((MariaDbDialect) chosen).flavor()).isEqualTo(MariaDbDialect.Flavor.MARIADB);
        }
        assertThat(Dialects.forUrl("jdbc:mysql://h/db")).isInstanceOfSatisfying(MariaDbDialect.class,
                d -> assertThat(d.flavor()).isEqualTo(MariaDbDialect.Flavor.MYSQL));
        assertThat(Dialects.forUrl("jdbc:sqlserver://h")).isNull();
        // MariaDB's driver reaches MySQL servers and MySQL's reaches MariaDB: only the server says which it is.
        assertThat(Dialects.settledByUrl("jdbc:mariadb://h/db")).isNull();
        assertThat(Dialects.settledByUrl("jdbc:mysql://h/db")).isNull();
        assertThat(Dialects.settledByUrl("jdbc:postgresql://h/db")).isInstanceOf(dev.tandem.dialect.postgres.PostgresDialect.class);
    }

    /** Times are the server's UTC clock whatever a session's time zone, so two sessions in two zones agree. */
    @Test
    void stateTimesDoNotDependOnTheSessionsTimeZone() throws SQLException {
        String stateDb = MariaDb.newDatabase("state");
        StateStore state = dialect.stateStore(stateDb, "app");
        try (Connection tokyo = MariaDb.dataSource().getConnection(); Connection lima = MariaDb.dataSource().getConnection()) {
            tokyo.createStatement().execute("SET time_zone = '+09:00'");
            lima.createStatement().execute("SET time_zone = '-05:00'");
            state.install(tokyo);
            state.heartbeat(tokyo, "node", "002_x", "host", 1);
            state.begin(tokyo, "002_x", "sum", null, new dev.tandem.engine.Plan("002_x", "app", "app_002_x", null,
                    List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of()));
            state.setActivity(tokyo, "002_x", "running", null);
            assertThat(state.get(lima, "002_x").orElseThrow().startedAt()).isCloseTo(Instant.now(), within(Duration.ofMinutes(1)));
            assertThat(state.activity(lima, "002_x").orElseThrow().status()).isEqualTo("running");
            assertThat(state.liveInstances(lima, Duration.ofSeconds(30))).singleElement()
                    .satisfies(i -> assertThat(i.lastSeen()).isCloseTo(Instant.now(), within(Duration.ofMinutes(1))));
        }
    }

    /**
     * Without the Performance Schema, sessions have no names for others to read; a session whose database is a
     * version database can only be that version's, so it counts, with the instance beating from its host if any.
     */
    @Test
    void sessionsOnAVersionDatabaseCountAsThatVersionsInstances() throws SQLException {
        String app = MariaDb.newDatabase("app");
        String stateDb = MariaDb.newDatabase("state");
        StateStore state = dialect.stateStore(stateDb, app);
        String versionDb = MariaDb.newDatabase(app + "_002_x");
        try (Connection c = MariaDb.dataSource().getConnection()) {
            state.install(c);
            state.begin(c, "002_x", "sum", null, new dev.tandem.engine.Plan("002_x", app, versionDb, null, List.of(),
                    List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of()));
            assertThat(state.liveInstances(c, Duration.ofSeconds(30))).isEmpty();
            try (Connection a = MariaDb.dataSource(versionDb).getConnection(); Connection b = MariaDb.dataSource(versionDb).getConnection()) {
                assertThat(state.liveInstances(c, Duration.ofSeconds(30))).singleElement().satisfies(i -> {
                    assertThat(i.version()).isEqualTo("002_x");
                    assertThat(i.id()).isEqualTo("unnamed@127.0.0.1");
                    assertThat(i.connections()).isEqualTo(2);
                    assertThat(i.heartbeat()).isFalse();
                });
                state.heartbeat(c, "node-1", "002_x", "127.0.0.1", 1);
                assertThat(state.liveInstances(c, Duration.ofSeconds(30))).singleElement().satisfies(i -> {
                    assertThat(i.id()).isEqualTo("node-1");
                    assertThat(i.connections()).isEqualTo(2);
                    assertThat(i.heartbeat()).isTrue();
                });
            }
        }
    }
}

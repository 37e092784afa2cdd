package dev.tandem.cli;

import dev.tandem.engine.Names;
import dev.tandem.testing.Pg;
import dev.tandem.testing.Rows;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The CLI in a JVM of its own, as an operator runs it, that a test can kill with SIGKILL. */
final class CliProcess {
    private final Process process;
    private final File log;

    private CliProcess(Process process, File log) {
        this.process = process;
        this.log = log;
    }

    static CliProcess start(Path logDir, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A short-lived JVM starts faster without the optimising compiler, and two cores are shared.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        File log = new File(logDir.toFile(), args.get(0) + "-" + System.nanoTime() + ".log");
        try {
            return new CliProcess(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sessions Tandem has open (it names them); the test itself never uses that name. */
    static long toolSessions() {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE (application_name = ? OR application_name LIKE ? || ' %')"
                + " AND pid <> pg_backend_pid()", Names.TOOL_APPLICATION_NAME, Names.TOOL_APPLICATION_NAME)).longValue();
    }

    /** Waits until the process has a database session (true) or has exited without one (false). */
    boolean awaitWork() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (toolSessions() == 0) {
            if (!process.isAlive()) return false;
            if (System.nanoTime() > deadline) throw new AssertionError("no Tandem session after 60 s: " + log());
            Thread.sleep(5);
        }
        return true;
    }

    /** Sends SIGKILL after {@code nanos} unless the process exited first; true if it was killed. */
    boolean killAfter(long nanos) throws InterruptedException {
        if (process.waitFor(nanos, TimeUnit.NANOSECONDS)) return false;
        process.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no cleanup.
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the process survived SIGKILL");
        return true;
    }

    /**
     * After {@code nanos}, unless the process exited first, holds Tandem's state rows of {@code schema} so that the
     * process stops at its next checkpoint write: inside the transaction of the step it just ran (the step's DDL
     * done, not committed), after a backfill batch, or at a change of phase. Then sends SIGKILL and lets go.
     * True if it was killed.
     */
    boolean killAtNextCheckpoint(long nanos, String schema) throws InterruptedException {
        if (process.waitFor(nanos, TimeUnit.NANOSECONDS)) return false;
        try (Connection gate = Pg.dataSource().getConnection(); Statement st = gate.createStatement()) {
            gate.setAutoCommit(false);
            st.execute("SET lock_timeout = '2s'");
            for (String table : List.of("migrations", "backfill")) {
                try (PreparedStatement ps = gate.prepareStatement("SELECT 1 FROM tandem." + table
                        + " WHERE schema_name = ? FOR UPDATE")) {
                    ps.setString(1, schema);
                    ps.execute();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (process.isAlive() && blockedToolSessions() == 0 && System.nanoTime() < deadline) Thread.sleep(2);
            if (!process.isAlive()) return false;
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the process survived SIGKILL");
            gate.rollback();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long blockedToolSessions() {
        return ((Number) Rows.scalar(Pg.dataSource(), "SELECT count(*) FROM pg_stat_activity WHERE (application_name = ? OR application_name LIKE ? || ' %')"
                + " AND wait_event_type = 'Lock'", Names.TOOL_APPLICATION_NAME, Names.TOOL_APPLICATION_NAME)).longValue();
    }

    int waitFor() throws InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + log());
        }
        return process.exitValue();
    }

    int exitCode() {
        return process.exitValue();
    }

    String log() {
        try {
            return Files.readString(log.toPath(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}

package dev.tandem.cli;


import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
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

    /** Waits until the process has a database session (true) or has exited without one (false). */
    boolean awaitWork(CliDatabase db) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (db.toolSessions() == 0) {
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
     * process stops at its next checkpoint write: inside the transaction of the step it just ran (on PostgreSQL the
     * step's DDL done, not committed; MariaDB commits each DDL statement by itself), after a backfill batch, or at a change of phase. Then sends SIGKILL and lets go.
     * True if it was killed.
     */
    boolean killAtNextCheckpoint(long nanos, String schema, CliDatabase db) throws InterruptedException {
        if (process.waitFor(nanos, TimeUnit.NANOSECONDS)) return false;
        try (Connection gate = db.watcher().getConnection()) {
            db.holdCheckpoints(gate, schema);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (process.isAlive() && db.blockedToolSessions() == 0 && System.nanoTime() < deadline) Thread.sleep(2);
            if (!process.isAlive()) return false;
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the process survived SIGKILL");
            gate.rollback();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
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

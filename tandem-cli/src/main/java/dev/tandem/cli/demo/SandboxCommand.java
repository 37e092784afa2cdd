package dev.tandem.cli.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tandem sandbox}: a throw-away PostgreSQL to follow the tutorial with, nothing installed. */
@Command(name = "sandbox", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"Start a throw-away PostgreSQL to try Tandem on, until Ctrl-C.",
                "%nThe server is embedded and keeps its data in a temporary directory, deleted when it stops. It"
                        + " prints the TANDEM_URL to use from another terminal, and the same database as a psql URL."})
public final class SandboxCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "55432", description = "Port to listen on, on localhost (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws Exception {
        // Before the embedded server and the pools create their loggers: progress is ours to show, not theirs.
        dev.tandem.cli.Logging.configure(false, false);
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setPort(port).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                pg.close();
            } catch (Exception ignored) {
                // Going away anyway.
            }
            stopped.countDown();
        }));
        System.out.println("PostgreSQL is running on localhost:" + port + " (user postgres, no password). In another terminal:");
        System.out.println();
        System.out.println("  export TANDEM_URL='" + pg.getJdbcUrl("postgres", "postgres") + "'");
        System.out.println("  psql 'postgresql://postgres@localhost:" + port + "/postgres'   # if you have psql");
        System.out.println();
        System.out.println("Ctrl-C stops it and deletes its data.");
        System.out.flush();
        stopped.await();
        return 0;
    }
}

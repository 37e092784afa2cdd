package dev.tandem.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Percona's {@code pt-online-schema-change} (percona-toolkit; {@code apt-get install percona-toolkit}) with its
 * defaults: it creates a changed copy of the table, keeps it in step with triggers, copies the rows in chunks sized
 * to 0.5 s, then swaps the tables by RENAME and drops the old one. Its progress lines name the load's phases.
 */
final class PtOnlineSchemaChange implements WidenContender {
    static final String TOOL = "pt-online-schema-change";

    private static final String COPY = "copy";

    /** What a line of its output says when a phase starts (after the line's timestamp), and the phase's name. */
    private static final List<String[]> PHASES = List.of(
            new String[]{"Creating triggers...", "triggers"},
            new String[]{"Copying approximately", COPY},
            new String[]{"Copied rows OK.", "analyze"},
            new String[]{"Swapping tables...", "swap"},
            new String[]{"Dropping old table...", "drop old table"},
            new String[]{"Dropping triggers...", "drop triggers"});

    @Override
    public String key() {
        return "pt-osc";
    }

    @Override
    public String label() {
        return "pt-online-schema-change";
    }

    /** The tool on the PATH, if installed. */
    static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, TOOL);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> unavailable() {
        return find().isPresent() ? Optional.empty() : Optional.of(TOOL + " is not installed (apt-get install percona-toolkit)");
    }

    @Override
    public Change change(Context context) throws IOException, InterruptedException {
        Path tool = find().orElseThrow(() -> new IllegalStateException(TOOL + " is not installed (apt-get install percona-toolkit)"));
        MariaDbBenchServer server = context.server();
        // The password goes in the DSN: this is a throw-away server on the loopback address.
        String dsn = "h=127.0.0.1,P=" + server.port() + ",u=" + server.user() + ",p=" + server.password()
                + ",D=" + context.database() + ",t=t";
        List<String> command = List.of(tool.toString(), "--alter", NativeAlter.CHANGE, "--execute", dsn);
        Path log = context.workDir().resolve("pt-osc-" + context.database() + ".log");
        context.load().phase("setup");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        Deque<String> tail = new ArrayDeque<>();
        long copyStart = 0;
        long copyEnd = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter saved = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                saved.println(line);
                tail.addLast(line);
                if (tail.size() > 15) tail.removeFirst();
                for (String[] phase : PHASES) {
                    if (line.contains(phase[0])) {
                        if (copyStart > 0 && copyEnd == 0) copyEnd = System.nanoTime();
                        context.load().phase(phase[1]);
                        if (phase[1].equals(COPY)) copyStart = System.nanoTime();
                    }
                }
            }
        }
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) {
            throw new IllegalStateException(TOOL + " exited with " + code + " after " + Report.decimal(seconds, 1)
                    + " s (whole output in " + log + "):\n    " + String.join("\n    ", tail));
        }
        List<String> notes = new ArrayList<>();
        notes.add(TOOL + " --alter \"" + NativeAlter.CHANGE + "\" --execute (defaults: --chunk-time 0.5; output in "
                + log + ")");
        double copy = copyStart > 0 && copyEnd > copyStart ? (copyEnd - copyStart) / 1e9 : Double.NaN;
        return new Change(copy, notes);
    }
}

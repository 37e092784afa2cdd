package dev.tandem.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One run of {@link Main} in the test's JVM: its exit code and what it printed (also echoed, for the test log). */
record MainRun(int code, String output) {
    static MainRun of(String... args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, out);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        return new MainRun(code, output);
    }
}

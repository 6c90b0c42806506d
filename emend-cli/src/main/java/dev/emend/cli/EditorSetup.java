package dev.emend.cli;

import dev.emend.ConfigException;
import dev.emend.EmendException;
import dev.emend.data.DatasetReader;
import dev.emend.edit.EditContext;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.embed.MiniLmEmbedder;
import dev.emend.embed.SentenceEmbedder;
import dev.emend.model.LanguageModel;
import dev.emend.stats.TextCorpus;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How the commands that edit make an editor: params from {@code --hparams FILE} or the bundled file named after the
 * model folder; layer statistics from {@code --stats-corpus FILE} or, for a fact-world model, its own world's text;
 * the statistics cache in {@code --stats-dir} or {@code ~/.cache/emend/stats}; IKE's training requests from
 * {@code --train FILE}.
 *
 * <p>IKE's sentence embedder: with {@code --train}, the command opens all-MiniLM-L6-v2 ({@link MiniLmEmbedder}, from
 * its Maven jar, on DJL) through {@link #embedder} and closes it after the editor's use.
 */
final class EditorSetup {
    private EditorSetup() {}

    /** @param modelPath a model folder or file @return the bundled params name for it: the folder's name */
    static String modelName(Path modelPath) {
        return modelPath.toAbsolutePath().normalize().getFileName().toString();
    }

    /**
     * @param modelPath the model folder (its world corpus is used if no corpus file is given)
     * @param statsCorpus a corpus file, or null
     * @param statsDir the statistics cache, or null for {@code ~/.cache/emend/stats}
     * @param seed the context-template seed
     * @param train IKE's training requests (KnowEdit/EasyEdit JSON), or null
     * @param embedder ranks IKE's demonstrations ({@link #embedder}), or null
     * @return a context builder with those set
     */
    static EditContext.Builder context(Path modelPath, Path statsCorpus, Path statsDir, long seed, Path train,
            SentenceEmbedder embedder) {
        EditContext.Builder ctx = EditContext.builder().optSeed(seed)
                .optStatsDir(statsDir != null ? statsDir : Path.of(System.getProperty("user.home"), ".cache", "emend", "stats"));
        if (statsCorpus != null) {
            TextCorpus c = TextCorpus.read(statsCorpus);
            ctx.optCorpus(c.name(), c);
        } else if (Files.isDirectory(modelPath)) {
            WorldCorpus.statsCorpus(modelPath).ifPresent(c -> ctx.optCorpus(c.name(), c));
        }
        if (train != null) {
            // read as --data is: every format bench reads, unusable records skipped and counted with a warning
            ctx.optTrainingRequests(DatasetReader.read(train).requests());
        }
        if (embedder != null) {
            ctx.optEmbedder(embedder);
        }
        return ctx;
    }

    /**
     * The embedder IKE's retrieval needs: only when training requests are given (no demonstrations without them).
     *
     * @param train IKE's training requests file, or null
     * @return all-MiniLM-L6-v2, which the caller closes, or null if {@code train} is null
     */
    static SentenceEmbedder embedder(Path train) {
        return train == null ? null : MiniLmEmbedder.load();
    }

    /**
     * @param method the editing method
     * @param model the loaded model
     * @param modelPath where it was loaded from (names the bundled params)
     * @param hparams a params file or a bundled params name, or null for the bundled file named after the model
     * @param context the editing context
     * @return the editor
     */
    static Editor create(String method, LanguageModel model, Path modelPath, String hparams, EditContext context) {
        return hparams != null ? Editors.standard().create(method, model, hparams, context)
                : Editors.standard().createBundled(method, model, modelName(modelPath), context);
    }

    /** @return "FILE" or "bundled METHOD/NAME.yaml" */
    static String paramsName(String method, Path modelPath, String hparams) {
        return hparams != null ? (Files.isRegularFile(Path.of(hparams)) ? hparams : "bundled " + method + "/" + hparams + ".yaml") : "bundled " + method + "/" + modelName(modelPath) + ".yaml";
    }

    /**
     * The params YAML a run will use, to identify the run before the model is loaded.
     *
     * @throws ConfigException if no file is given and none is bundled for the model, or the method is unknown
     */
    static String paramsText(String method, Path modelPath, String hparams) {
        Editors.standard().factory(method);
        if (hparams != null && !Files.isRegularFile(Path.of(hparams)) && Editors.hasBundled(method, hparams)) {
            return Editors.bundledText(method, hparams).orElseThrow();
        }
        if (hparams != null) {
            try {
                return Files.readString(Path.of(hparams));
            } catch (IOException e) {
                throw new EmendException("cannot read %s: %s".formatted(hparams, e.getMessage()), e);
            }
        }
        String name = modelName(modelPath);
        return Editors.bundledText(method, name).orElseThrow(() -> new ConfigException(("Emend has no bundled %s params "
                + "for '%s'; pass a params file (--hparams FILE) written for this model").formatted(method, name)));
    }
}

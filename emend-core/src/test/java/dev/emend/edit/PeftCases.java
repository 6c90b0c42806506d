package dev.emend.edit;

import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.model.HookPoint;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLayout;
import dev.emend.model.WeightRef;
import dev.emend.tokenizer.TokenBatch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The deterministic edits of the PEFT parity fixture ({@code golden/peft/<name>/}): two hand-built low-rank patches
 * per tiny model, seeded, touching modules of different ranks and one parameter twice, so that the adapter has a
 * {@code rank_pattern} and a concatenated factor pair. {@link PeftAdapterExport} writes them for
 * tools/reference/check_peft.py, and {@link PeftParityTest} checks them against what PEFT computed.
 */
final class PeftCases {
    /** The models: a Conv1D family (fan_in_fan_out) and a Linear one. */
    static final List<String> NAMES = List.of("gpt2", "llama");

    /** Token ids [2, 10] the logits are computed on. */
    static final long[][] IDS = {{5, 300, 17, 42, 99, 256, 7, 401, 12, 88}, {3, 14, 159, 265, 358, 97, 93, 238, 46, 264}};

    /** Entries of the factors are N(0, SCALE²): Δ entries ≈ 0.09 √r, logits move by about 1. */
    static final double SCALE = 0.3;

    private PeftCases() {}

    /** @param name a case @return base_model_name_or_path as written in the fixture: the repo-relative folder */
    static String baseModel(String name) {
        return "emend-core/src/test/resources/fixtures/tiny/" + name;
    }

    /** @return the golden folder of a case */
    static Path golden(String name) {
        return Fixtures.root().getParent().resolve("golden").resolve("peft").resolve(name);
    }

    /**
     * The two patches of a case, not applied.
     *
     * <ul>
     *   <li>gpt2: first {@code h.1.mlp.c_proj} rank 1 and {@code h.0.attn.c_attn} rank 3, then {@code h.1.mlp.c_proj}
     *       rank 1 again (adapter: c_attn r=3, c_proj r=2)</li>
     *   <li>llama: first {@code layers.0.mlp.down_proj} rank 1 and {@code layers.1.self_attn.q_proj} rank 2, then the
     *       untied {@code lm_head} rank 1 (adapter: q_proj r=2, down_proj and lm_head r=1)</li>
     * </ul>
     *
     * @param model the loaded tiny model of {@code name}
     * @param name "gpt2" or "llama"
     * @return the patches in the order to apply them
     */
    static List<WeightDelta> patches(LanguageModel model, String name) {
        Random rnd = new Random(name.equals("gpt2") ? 2024 : 2025);
        ModelLayout layout = model.architecture().layout();
        WeightRef down1 = model.architecture().weight(HookPoint.Site.MLP_POST, 1);
        WeightRef down0 = model.architecture().weight(HookPoint.Site.MLP_POST, 0);
        return switch (name) {
            case "gpt2" -> {
                WeightRef cAttn = layout.blocks().get(0).attention().qkv().weight();
                WeightDelta first = WeightDelta.builder(model).add(lowRank(down1, 1, rnd)).add(lowRank(cAttn, 3, rnd)).build();
                WeightDelta second = WeightDelta.builder(model).add(lowRank(down1, 1, rnd)).build();
                yield List.of(first, second);
            }
            case "llama" -> {
                WeightRef q = layout.blocks().get(1).attention().q().weight();
                WeightDelta first = WeightDelta.builder(model).add(lowRank(down0, 1, rnd)).add(lowRank(q, 2, rnd)).build();
                WeightDelta second = WeightDelta.builder(model).add(lowRank(layout.lmHead().weight(), 1, rnd)).build();
                yield List.of(first, second);
            }
            default -> throw new IllegalArgumentException("no PEFT case " + name);
        };
    }

    /** @return L [out,r] and R [r,in] with N(0, SCALE²) entries, L drawn first */
    static WeightDelta.LowRank lowRank(WeightRef w, int rank, Random rnd) {
        float[] l = new float[(int) w.outFeatures() * rank];
        float[] r = new float[rank * (int) w.inFeatures()];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) (SCALE * rnd.nextGaussian());
        }
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (SCALE * rnd.nextGaussian());
        }
        return new WeightDelta.LowRank(w, rank, l, r);
    }

    /**
     * Applies the patches in order and records them in a session.
     *
     * @param patches from {@link #patches}
     * @return the session, whose {@code revertAll} undoes them
     */
    static EditSession apply(List<WeightDelta> patches) {
        EditSession s = new EditSession();
        for (WeightDelta d : patches) {
            d.apply();
            s.record(new EditResult(List.of(), d, new EditStats(List.of(), Map.of(), 0)));
        }
        return s;
    }

    /** @return {@link #IDS} flattened [2*10] */
    static long[] flatIds() {
        return Arrays.stream(IDS).flatMapToLong(Arrays::stream).toArray();
    }

    /**
     * Emend's logits on {@link #IDS}.
     *
     * @param model the model, edited or not
     * @return [2, 10, V] row-major
     */
    static float[] logits(LanguageModel model) {
        long[] ids = flatIds();
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);
        try (NDScope ignored = new NDScope()) {
            return model.forward(TokenBatch.of(IDS.length, IDS[0].length, ids, mask),
                    Hooks.none()).logits().toFloatArray();
        }
    }

    /** @return the case's adapter with the fixture's base_model_name_or_path */
    static PeftAdapter adapter(LanguageModel model, String name, EditSession session) {
        return PeftAdapter.builder(model).addAll(session).optBaseModel(baseModel(name)).build();
    }
}

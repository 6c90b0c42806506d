package dev.emend.model;

import java.util.Set;

/** Creates the {@link Architecture} of checkpoints whose {@code model_type} it handles. */
public interface ModelFamily {
    /** @return the family name */
    String name();

    /** @return the HF {@code model_type} values handled */
    Set<String> modelTypes();

    /**
     * Builds the architecture of one checkpoint.
     *
     * @param config the checkpoint's config.json
     * @param tensorNames names present in the checkpoint (some families accept several naming prefixes)
     * @return the architecture
     */
    Architecture create(HfConfig config, Set<String> tensorNames);
}

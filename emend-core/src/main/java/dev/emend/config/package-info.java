/**
 * Typed, strict configuration files: YAML (EasyEdit's hparams files, unchanged) read into records. Unknown keys,
 * missing required keys and values of the wrong type fail with a {@link dev.emend.ConfigException} that names the
 * file, the key and what is accepted. Depends on Jackson only.
 */
package dev.emend.config;

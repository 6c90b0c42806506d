"""Renders chat templates with transformers' own apply_chat_template, for ChatTemplateTest.

Usage (from the repo root):
    ~/.cache/emend/pyenv/bin/python tools/reference/make_chat_templates.py
Writes emend-core/src/test/resources/fixtures/chat/templates.json: for each template and conversation, the text
transformers renders with and without add_generation_prompt.
"""
import json
from pathlib import Path

from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "emend-core/src/test/resources/fixtures/chat/templates.json"
TOKENIZER = ROOT / "emend-core/src/test/resources/fixtures/tokenizers/tiny-bpe"

TEMPLATES = {
    # SmolLM2-Instruct (ChatML with a default system prompt)
    "smollm2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # Llama-2-chat (raise_exception, strip, bos/eos tokens)
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    # Zephyr (multi-line with trim/lstrip behaviour)
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    # Qwen2-style ChatML with a default system message
    "qwen2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
}

CONVERSATIONS = {
    "user": [{"role": "user", "content": "What is the capital of France?"}],
    "system_user": [{"role": "system", "content": "Answer briefly."},
                    {"role": "user", "content": "  Who wrote Hamlet?  "}],
    "multi_turn": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello. How can I help?"},
                   {"role": "user", "content": "Tell me a fact\nabout cats."}],
}


def main() -> None:
    tok = AutoTokenizer.from_pretrained(TOKENIZER)
    tok.bos_token = "<s>"
    tok.eos_token = "</s>"
    cases = []
    for tname, tpl in TEMPLATES.items():
        for cname, conv in CONVERSATIONS.items():
            for gen in (False, True):
                text = tok.apply_chat_template(conv, chat_template=tpl, tokenize=False, add_generation_prompt=gen)
                cases.append({"template": tname, "conversation": cname, "add_generation_prompt": gen, "text": text})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>", "templates": TEMPLATES,
                               "conversations": CONVERSATIONS, "cases": cases}, indent=1, ensure_ascii=False))
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()

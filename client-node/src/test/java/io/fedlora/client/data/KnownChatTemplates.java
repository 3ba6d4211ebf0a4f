package io.fedlora.client.data;

/**
 * Chat templates of published checkpoints, as their tokenizer_config.json holds them (JSON-decoded
 * Jinja source), written out here so that the engine and the loss mask are tested against the real
 * shapes: tool branches, whitespace control, both quote styles, {@code x.attr} and {@code x['attr']}.
 */
final class KnownChatTemplates {

    private KnownChatTemplates() {}

    /** Qwen/Qwen2.5-*-Instruct. */
    static final String QWEN2_5 = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0]['role'] == 'system' %}
                    {{- messages[0]['content'] }}
                {%- else %}
                    {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
                {%- endif %}
                {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
                {%- for tool in tools %}
                    {{- "\\n" }}
                    {{- tool | tojson }}
                {%- endfor %}
                {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
            {%- else %}
                {%- if messages[0]['role'] == 'system' %}
                    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
                {%- else %}
                    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
                {%- endif %}
            {%- endif %}
            {%- for message in messages %}
                {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- elif message.role == "assistant" %}
                    {{- '<|im_start|>' + message.role }}
                    {%- if message.content %}
                        {{- '\\n' + message.content }}
                    {%- endif %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if tool_call.function is defined %}
                            {%- set tool_call = tool_call.function %}
                        {%- endif %}
                        {{- '\\n<tool_call>\\n{"name": "' }}
                        {{- tool_call.name }}
                        {{- '", "arguments": ' }}
                        {{- tool_call.arguments | tojson }}
                        {{- '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == "tool" %}
                    {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
                        {{- '<|im_start|>user' }}
                    {%- endif %}
                    {{- '\\n<tool_response>\\n' }}
                    {{- message.content }}
                    {{- '\\n</tool_response>' }}
                    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                        {{- '<|im_end|>\\n' }}
                    {%- endif %}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    /** HuggingFaceTB/SmolLM2-*-Instruct: real newlines inside the string literals. */
    static final String SMOLLM2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
            + "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /** Qwen3-style: ChatML with a reasoning section in the generation prompt when thinking is off. */
    static final String QWEN3_LIKE = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + "
            + "message.content + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}"
            + "{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}"
            + "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";

    /** meta-llama/Meta-Llama-3-8B-Instruct. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] "
            + "| trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
            + "{{ content }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** meta-llama/Llama-3.1-8B-Instruct (and 3.3). */
    static final String LLAMA3_1 = """
            {{- bos_token }}
            {%- if custom_tools is defined %}
                {%- set tools = custom_tools %}
            {%- endif %}
            {%- if not tools_in_user_message is defined %}
                {%- set tools_in_user_message = true %}
            {%- endif %}
            {%- if not date_string is defined %}
                {%- set date_string = "26 Jul 2024" %}
            {%- endif %}
            {%- if not tools is defined %}
                {%- set tools = none %}
            {%- endif %}

            {#- This block extracts the system message, so we can slot it into the right place. #}
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content']|trim %}
                {%- set messages = messages[1:] %}
            {%- else %}
                {%- set system_message = "" %}
            {%- endif %}

            {#- System message + builtin tools #}
            {{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
            {%- if builtin_tools is defined or tools is not none %}
                {{- "Environment: ipython\\n" }}
            {%- endif %}
            {%- if builtin_tools is defined %}
                {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\\n\\n"}}
            {%- endif %}
            {{- "Cutting Knowledge Date: December 2023\\n" }}
            {{- "Today Date: " + date_string + "\\n\\n" }}
            {%- if tools is not none and not tools_in_user_message %}
                {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
                {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
                {{- "Do not use variables.\\n\\n" }}
                {%- for t in tools %}
                    {{- t | tojson(indent=4) }}
                    {{- "\\n\\n" }}
                {%- endfor %}
            {%- endif %}
            {{- system_message }}
            {{- "<|eot_id|>" }}

            {#- Custom tools are passed in a user message with some extra guidance #}
            {%- if tools_in_user_message and not tools is none %}
                {#- Extract the first user message so we can plug it in here #}
                {%- if messages | length != 0 %}
                    {%- set first_user_message = messages[0]['content']|trim %}
                    {%- set messages = messages[1:] %}
                {%- else %}
                    {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
            {%- endif %}
                {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}
                {{- "Given the following functions, please respond with a JSON for a function call " }}
                {{- "with its proper arguments that best answers the given prompt.\\n\\n" }}
                {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
                {{- "Do not use variables.\\n\\n" }}
                {%- for t in tools %}
                    {{- t | tojson(indent=4) }}
                    {{- "\\n\\n" }}
                {%- endfor %}
                {{- first_user_message + "<|eot_id|>"}}
            {%- endif %}

            {%- for message in messages %}
                {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
                    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
                {%- elif 'tool_calls' in message %}
                    {%- if not message.tool_calls|length == 1 %}
                        {{- raise_exception("This model only supports single tool-calls at once!") }}
                    {%- endif %}
                    {%- set tool_call = message.tool_calls[0].function %}
                    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}
                    {{- '{"name": "' + tool_call.name + '", ' }}
                    {{- '"parameters": ' }}
                    {{- tool_call.arguments | tojson }}
                    {{- "}" }}
                    {{- "<|eot_id|>" }}
                {%- elif message.role == "tool" or message.role == "ipython" %}
                    {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}
                    {%- if message.content is mapping or message.content is iterable %}
                        {{- message.content | tojson }}
                    {%- else %}
                        {{- message.content }}
                    {%- endif %}
                    {{- "<|eot_id|>" }}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {%- endif %}
            """;

    /** meta-llama/Llama-3.2-1B-Instruct: today's date when strftime_now exists, else a fixed one. */
    static final String LLAMA3_2 = LLAMA3_1.replace("""
                {%- set date_string = "26 Jul 2024" %}
            """, """
                {%- if strftime_now is defined %}
                    {%- set date_string = strftime_now("%d %b %Y") %}
                {%- else %}
                    {%- set date_string = "26 Jul 2024" %}
                {%- endif %}
            """);

    /** meta-llama/Llama-2-7b-chat-hf. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
            + "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
            + "{% endfor %}";

    /** mistralai/Mistral-7B-Instruct-v0.1 (first release): a space after each eos. */
    static final String MISTRAL_V0_1 = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    /** Mistral-7B-Instruct-v0.1/v0.2 and Mixtral-8x7B-Instruct-v0.1 (early 2024). */
    static final String MISTRAL_V0_2_EARLY = MISTRAL_V0_1.replace("eos_token + ' ' }}", "eos_token}}");

    /** Mistral-7B-Instruct-v0.2 and Mixtral-8x7B-Instruct-v0.1 (mid 2024): system message before the first user turn. */
    static final String MISTRAL_V0_2 = """
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content'] %}
                {%- set loop_messages = messages[1:] %}
            {%- else %}
                {%- set loop_messages = messages %}
            {%- endif %}

            {{- bos_token }}
            {%- for message in loop_messages %}
                {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
                    {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
                {%- endif %}
                {%- if message['role'] == 'user' %}
                    {%- if loop.first and system_message is defined %}
                        {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}
                    {%- else %}
                        {{- ' [INST] ' + message['content'] + ' [/INST]' }}
                    {%- endif %}
                {%- elif message['role'] == 'assistant' %}
                    {{- ' ' + message['content'] + eos_token}}
                {%- else %}
                    {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
                {%- endif %}
            {%- endfor %}
            """;

    /** Mistral-7B-Instruct-v0.3 (with tools): system message before the last user turn. */
    static final String MISTRAL_V0_3 = """
            {%- if messages[0]["role"] == "system" %}
                {%- set system_message = messages[0]["content"] %}
                {%- set loop_messages = messages[1:] %}
            {%- else %}
                {%- set loop_messages = messages %}
            {%- endif %}
            {%- if not tools is defined %}
                {%- set tools = none %}
            {%- endif %}
            {%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}

            {#- This block checks for alternating user/assistant messages, skipping tool calling messages #}
            {%- set ns = namespace() %}
            {%- set ns.index = 0 %}
            {%- for message in loop_messages %}
                {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
                    {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
                        {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
                    {%- endif %}
                    {%- set ns.index = ns.index + 1 %}
                {%- endif %}
            {%- endfor %}

            {{- bos_token }}
            {%- for message in loop_messages %}
                {%- if message["role"] == "user" %}
                    {%- if tools is not none and (message == user_messages[-1]) %}
                        {{- "[AVAILABLE_TOOLS] [" }}
                        {%- for tool in tools %}
                            {%- set tool = tool.function %}
                            {{- '{"type": "function", "function": {' }}
                            {%- for key, val in tool.items() if key != "return" %}
                                {%- if val is string %}
                                    {{- '"' + key + '": "' + val + '"' }}
                                {%- else %}
                                    {{- '"' + key + '": ' + val|tojson }}
                                {%- endif %}
                                {%- if not loop.last %}
                                    {{- ", " }}
                                {%- endif %}
                            {%- endfor %}
                            {{- "}}" }}
                            {%- if not loop.last %}
                                {{- ", " }}
                            {%- else %}
                                {{- "]" }}
                            {%- endif %}
                        {%- endfor %}
                        {{- "[/AVAILABLE_TOOLS]" }}
                        {%- endif %}
                    {%- if loop.last and system_message is defined %}
                        {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
                    {%- else %}
                        {{- "[INST] " + message["content"] + "[/INST]" }}
                    {%- endif %}
                {%- elif message.tool_calls is defined and message.tool_calls is not none %}
                    {{- "[TOOL_CALLS] [" }}
                    {%- for tool_call in message.tool_calls %}
                        {%- set out = tool_call.function|tojson %}
                        {{- out[:-1] }}
                        {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                            {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
                        {%- endif %}
                        {{- ', "id": "' + tool_call.id + '"}' }}
                        {%- if not loop.last %}
                            {{- ", " }}
                        {%- else %}
                            {{- "]" + eos_token }}
                        {%- endif %}
                    {%- endfor %}
                {%- elif message["role"] == "assistant" %}
                    {{- " " + message["content"]|trim + eos_token}}
                {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
                    {%- if message.content is defined and message.content.content is defined %}
                        {%- set content = message.content.content %}
                    {%- else %}
                        {%- set content = message.content %}
                    {%- endif %}
                    {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
                    {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}
                        {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
                    {%- endif %}
                    {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
                {%- else %}
                    {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
                {%- endif %}
            {%- endfor %}
            """;

    /** google/gemma-2-*-it: no system role, contents trimmed. */
    static final String GEMMA2 = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
            + "{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}"
            + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}"
            + "{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + "
            + "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{'<start_of_turn>model\\n'}}{% endif %}";

    // The three below are written for these tests in the manner of their families' published
    // templates (not copies), each with the detail that matters to the loss mask.

    /** Phi-3 style: {@code <|end|>} closes every turn, EOS only after the last (when no generation prompt). */
    static final String PHI3_STYLE = "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] "
            + "+ '<|end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}"
            + "{{ eos_token }}{% endif %}";

    /** DeepSeek-R1 style: earlier answers lose their reasoning; the generation prompt opens one. */
    static final String DEEPSEEK_R1_STYLE = "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}"
            + "{{ m.content }}{% elif m.role == 'user' %}{{ '<\uFF5CUser\uFF5C>' + m.content }}{% else %}"
            + "{% set c = m.content %}{% if '</think>' in c %}{% set c = c.split('</think>')[-1] %}{% endif %}"
            + "{{ '<\uFF5CAssistant\uFF5C>' + c + eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<\uFF5CAssistant\uFF5C><think>\\n' }}{% endif %}";

    /** Mistral v7 (tekken) style: a system prompt block, no spaces around {@code [INST]}. */
    static final String MISTRAL_V7_STYLE = """
            {{- bos_token }}
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content'] %}
                {%- set loop_messages = messages[1:] %}
            {%- else %}
                {%- set system_message = 'You are a helpful assistant.' %}
                {%- set loop_messages = messages %}
            {%- endif %}
            {{- '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}
            {%- for message in loop_messages %}
                {%- if message['role'] == 'user' %}
                    {{- '[INST]' + message['content'] + '[/INST]' }}
                {%- elif message['role'] == 'assistant' %}
                    {{- message['content'] + eos_token }}
                {%- else %}
                    {{- raise_exception('Only user and assistant roles are supported after the system message!') }}
                {%- endif %}
            {%- endfor %}
            """;
}

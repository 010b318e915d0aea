-- Channels (issue 20): an audience's destination is of a kind, no longer always a signed webhook.
-- Keep in step with ../sqlite/0015_channel_kinds.sql: same columns, same meaning.
--
-- `kind` says how `url` is read and how a notification is sent there: `webhook` (an http(s) URL,
-- signed with `secret`, as before) or `email` (a `mailto:` URI of one or more addresses, sent by
-- the server's SMTP settings; `secret` is empty). The CHECK also names the group robots of
-- WeCom, DingTalk and Feishu, so that adding their delivery needs no rebuilt table; the store
-- refuses a kind it cannot deliver.
-- `language` is the language of the words sent (`zh` or `en`): an audience's channel is read by
-- people, and a webhook receiver gets both languages in its JSON anyway.
ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook'
    CHECK (kind IN ('webhook', 'email', 'wecom', 'dingtalk', 'feishu'));
ALTER TABLE webhooks ADD COLUMN language TEXT NOT NULL DEFAULT 'zh'
    CHECK (language IN ('zh', 'en'));

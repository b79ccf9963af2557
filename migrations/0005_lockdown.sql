-- One waiting reopening per media: a flood that fires its lockdown from many comments at once (or
-- from several processes) turns comments off once and back on once.
CREATE UNIQUE INDEX "actions_one_reopening_idx" ON "actions" USING btree ("account_id","media_id") WHERE type = 'comments_on' and status in ('planned', 'in_progress');

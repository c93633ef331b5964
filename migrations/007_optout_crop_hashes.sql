-- Perceptual hashes of centre and corner crops of each reference image, concatenated 32 bytes
-- each, so that a cropped copy of a protected image still matches.
alter table optout_images add column phash_crops bytea not null default ''::bytea;

-- The e-handel rate, defined once: the views below, and two tables of monthly totals that the
-- ingest computes from them so that reports and dashboards never rescan the purchase lines.
--
-- E-handelsprocent of a unit over a period = e-handled eligible spend / all eligible spend (kr.).
-- The count-based variant = e-handled eligible invoices / all eligible invoices (credit notes net
-- in kroner but are not counted as invoices; each card transaction is one purchase).
-- Spend outside the eligible categories (services, construction, taxes, inter-municipal payments)
-- is in neither numerator nor denominator.

-- Eligibility: the first key that classifies a line decides its category and whether it is
-- e-handel eligible, in this order: UNSPSC (kategorier.csv), the account type (art), supplier CVR,
-- item type (Varetype), a word of the description (egnethed.csv). Each key's table (made by the ingest) holds only the
-- values it classifies, each with its classification as one value (`class`), so a line no key
-- covers has none: 'Uklassificeret', not eligible.
CREATE OR REPLACE VIEW purchases AS
SELECT source, ean, purchase_date, supplier_cvr, supplier_name, unspsc,
       coalesce(class.category, 'Uklassificeret') AS category, coalesce(class.eligible, FALSE) AS eligible,
       class.rule AS eligibility_rule, class.value AS eligibility_value, class.mandatory_area, class.category_id,
       contract, amount, is_ehandel, document_id, document_party, document_no, is_credit_note
FROM (
    SELECT 'faktura' AS source, l.buyer_ean AS ean, l.invoice_date AS purchase_date,
           l.supplier_cvr, l.supplier_name, l.unspsc, coalesce(m.class, a.class, s.class, t.class, d.class) AS class,
           l.contract, l.amount, l.is_ehandel,
           -- the supplier's CVR (or a foreign VAT number) and the invoice number; a line of a
           -- single-table export without invoice numbers is a purchase of its own
           l.supplier_id || '/' || coalesce(l.invoice_no, l.file || ':' || l.line) AS document_id,
           l.supplier_id AS document_party, coalesce(l.invoice_no, l.file || ':' || l.line) AS document_no,
           l.document_type = 'credit_note' AS is_credit_note
    FROM invoice_lines l
    LEFT JOIN unspsc_map m USING (unspsc)
    LEFT JOIN art_map a USING (art)
    LEFT JOIN supplier_map s ON s.supplier_cvr = l.supplier_cvr
    LEFT JOIN item_type_map t USING (item_type)
    LEFT JOIN description_map d USING (description)
    UNION ALL
    SELECT 'kort', c.buyer_ean, c.transaction_date, c.merchant_cvr, c.merchant_name, c.unspsc,
           coalesce(m.class, a.class, s.class), NULL, c.amount, FALSE,
           'kort/' || c.transaction_id, 'kort', c.transaction_id, c.amount < 0
    FROM card_transactions c
    LEFT JOIN unspsc_map m USING (unspsc)
    LEFT JOIN art_map a USING (art)
    LEFT JOIN supplier_map s ON s.supplier_cvr = c.merchant_cvr);

-- A share of a whole: none of a zero or negative whole (a year holding only a credit note is no
-- "100 %"), so such a unit is neither shown with a rate nor ranked. Every rate and share is this.
CREATE OR REPLACE MACRO share_of(part, whole) AS
    CASE WHEN whole > 0 THEN part / whole END;
-- The rate in kroner: e-handled eligible spend / eligible spend.
CREATE OR REPLACE MACRO rate_of(ehandel_amount, eligible_amount) AS
    share_of(ehandel_amount, eligible_amount);

-- Invoice counts and the count-based rate, where the purchases name their invoices (meta
-- 'count_rate' says why not): a single-table export without invoice numbers counts no invoices.
CREATE OR REPLACE MACRO counted(documents) AS
    CASE WHEN (SELECT value FROM meta WHERE key = 'count_rate') = 'ja' THEN documents END;
CREATE OR REPLACE MACRO count_rate_of(ehandel_documents, eligible_documents) AS
    counted(share_of(ehandel_documents, eligible_documents));

-- The seven figures every rate view shows, from its four totals, as one struct: a view selects
-- rate_figures(…) AS f in a subquery and unnest(f) around it (DuckDB cannot unnest it in place
-- while counted() holds a subquery).
CREATE OR REPLACE MACRO rate_figures(eligible_amount, ehandel_amount, eligible_documents, ehandel_documents) AS
    {'eligible_amount': eligible_amount, 'ehandel_amount': ehandel_amount,
     'missed_amount': eligible_amount - ehandel_amount, 'rate': rate_of(ehandel_amount, eligible_amount),
     'eligible_documents': counted(eligible_documents), 'ehandel_documents': counted(ehandel_documents),
     'count_rate': count_rate_of(ehandel_documents, eligible_documents)};

-- Monthly totals, computed once per ingest: every period view below adds these up instead of
-- scanning the purchase lines. Amounts and invoice counts add up over months and units (an
-- invoice has one date and one buyer), but invoice counts do not add up over categories (an
-- invoice can span two), hence a second table by category. Invoices are first totalled per
-- document (a document counts when any of its lines qualifies), then counted: the same figures as
-- count(DISTINCT document_id) with a filter, without a set of ids per group. A card transaction is
-- a document of its own (its id is the card file's key, so unique), so card lines skip that step.
-- At national size (60 m lines) the document step is the ingest's costliest aggregate: grouping
-- by the id's two columns rather than its text, by a category number rather than two strings, and
-- joining units after the documents are counted, halved it (40 s to 20 s; tests/test_rates.py
-- checks these tables against count(DISTINCT document_id) over purchases).
CREATE OR REPLACE TABLE unit_month AS
SELECT ean, year, month,
       sum(amount) AS eligible_amount,
       sum(ehandel_amount) AS ehandel_amount,
       count(*) FILTER (counted) AS eligible_documents,
       count(*) FILTER (counted_ehandel) AS ehandel_documents
FROM (SELECT ean, year(purchase_date) AS year, month(purchase_date) AS month, document_party, document_no,
             sum(amount) AS amount, coalesce(sum(amount) FILTER (is_ehandel), 0) AS ehandel_amount,
             bool_or(NOT is_credit_note) AS counted, bool_or(NOT is_credit_note AND is_ehandel) AS counted_ehandel
      FROM purchases WHERE eligible AND source = 'faktura' GROUP BY ALL
      UNION ALL
      SELECT ean, year(purchase_date), month(purchase_date), document_party, document_no,
             amount, CASE WHEN is_ehandel THEN amount ELSE 0 END, NOT is_credit_note, NOT is_credit_note AND is_ehandel
      FROM purchases WHERE eligible AND source = 'kort')
GROUP BY ALL;

CREATE OR REPLACE TABLE category_month AS
WITH documents AS (
    SELECT p.ean, p.category_id, year(p.purchase_date) AS year, month(p.purchase_date) AS month,
           p.document_party, p.document_no,
           sum(p.amount) AS amount, coalesce(sum(p.amount) FILTER (p.is_ehandel), 0) AS ehandel_amount,
           bool_or(NOT p.is_credit_note) AS counted, bool_or(NOT p.is_credit_note AND p.is_ehandel) AS counted_ehandel
    FROM purchases p WHERE p.eligible AND p.source = 'faktura' GROUP BY ALL
    UNION ALL
    SELECT p.ean, p.category_id, year(p.purchase_date), month(p.purchase_date), p.document_party, p.document_no,
           p.amount, CASE WHEN p.is_ehandel THEN p.amount ELSE 0 END, NOT p.is_credit_note,
           NOT p.is_credit_note AND p.is_ehandel
    FROM purchases p WHERE p.eligible AND p.source = 'kort'),
unit_totals AS (
    SELECT ean, category_id, year, month,
           sum(amount) AS eligible_amount,
           sum(ehandel_amount) AS ehandel_amount,
           count(*) FILTER (counted) AS eligible_documents,
           count(*) FILTER (counted_ehandel) AS ehandel_documents
    FROM documents GROUP BY ALL)
SELECT u.municipality, c.category, c.mandatory_area, t.year, t.month,
       sum(t.eligible_amount) AS eligible_amount,
       sum(t.ehandel_amount) AS ehandel_amount,
       sum(t.eligible_documents)::BIGINT AS eligible_documents,
       sum(t.ehandel_documents)::BIGINT AS ehandel_documents
FROM unit_totals t JOIN eligible_categories c USING (category_id) JOIN units u USING (ean)
GROUP BY ALL;

-- The period grains: year (2025), quarter (2025-K1) and month (2025-01).
CREATE OR REPLACE VIEW period_grains AS
SELECT * FROM (VALUES ('year'), ('quarter'), ('month')) g(period_type);

CREATE OR REPLACE MACRO period_label(period_type, y, m) AS
    CASE period_type
        WHEN 'year' THEN y::VARCHAR
        WHEN 'quarter' THEN y::VARCHAR || '-K' || ((m + 2) // 3)::VARCHAR
        ELSE y::VARCHAR || '-' || lpad(m::VARCHAR, 2, '0')
    END;

-- Organisation levels in long form: every unit belongs to one organisation at each level 1-4.
CREATE OR REPLACE VIEW unit_levels AS
SELECT ean, unnest([1, 2, 3, 4]) AS level, unnest([level1, level2, level3, level4]) AS org_name,
       goods_budget
FROM units;

-- Per unit and period. Amounts and invoice counts add up over units (an invoice has one buyer),
-- so the organisation and municipality views below are sums of this one.
CREATE OR REPLACE VIEW rate_unit AS
SELECT m.ean, g.period_type, period_label(g.period_type, m.year, m.month) AS period,
       sum(m.eligible_amount) AS eligible_amount,
       sum(m.ehandel_amount) AS ehandel_amount,
       sum(m.eligible_documents)::BIGINT AS eligible_documents,
       sum(m.ehandel_documents)::BIGINT AS ehandel_documents
FROM unit_month m CROSS JOIN period_grains g
GROUP BY ALL;

-- Per unit and period with the unit's name, organisation and rates.
CREATE OR REPLACE VIEW unit_period_rates AS
SELECT * EXCLUDE (f), unnest(f) FROM (
    SELECT u.ean, u.name, u.level1, u.level2, u.level3, u.level4, u.unit_type, u.goods_budget,
           r.period_type, r.period,
           rate_figures(r.eligible_amount, r.ehandel_amount, r.eligible_documents, r.ehandel_documents) AS f
    FROM rate_unit r JOIN units u USING (ean));

-- Per organisation (at level 1-4) and period.
CREATE OR REPLACE VIEW org_period_rates AS
SELECT * EXCLUDE (f), unnest(f) FROM (
    SELECT l.level, l.org_name, r.period_type, r.period, count(*) AS units,
           rate_figures(sum(r.eligible_amount), sum(r.ehandel_amount), sum(r.eligible_documents)::BIGINT,
                        sum(r.ehandel_documents)::BIGINT) AS f
    FROM rate_unit r JOIN unit_levels l USING (ean)
    GROUP BY l.level, l.org_name, r.period_type, r.period);

-- The whole municipality per period.
CREATE OR REPLACE VIEW municipality_period_rates AS
SELECT * EXCLUDE (f), unnest(f) FROM (
    SELECT r.period_type, r.period, count(*) AS units,
           rate_figures(sum(r.eligible_amount), sum(r.ehandel_amount), sum(r.eligible_documents)::BIGINT,
                        sum(r.ehandel_documents)::BIGINT) AS f
    FROM rate_unit r
    GROUP BY r.period_type, r.period);

-- Per category and period. An invoice with lines in two categories counts once in each.
CREATE OR REPLACE VIEW category_period_rates AS
SELECT * EXCLUDE (f), unnest(f) FROM (
    SELECT c.category, c.mandatory_area, g.period_type, period_label(g.period_type, c.year, c.month) AS period,
           rate_figures(sum(c.eligible_amount), sum(c.ehandel_amount), sum(c.eligible_documents)::BIGINT,
                        sum(c.ehandel_documents)::BIGINT) AS f
    FROM category_month c CROSS JOIN period_grains g
    GROUP BY c.category, c.mandatory_area, g.period_type, period_label(g.period_type, c.year, c.month));

-- Every unit's totals over any measurement period [first_day, last_day]; units without eligible
-- purchases in the period are kept (amounts 0, rate NULL) so they can be reported as not ranked.
CREATE OR REPLACE MACRO unit_rates_between(first_day, last_day) AS TABLE
WITH totals AS (
    SELECT ean,
           sum(amount) AS eligible_amount,
           coalesce(sum(amount) FILTER (is_ehandel), 0) AS ehandel_amount,
           count(DISTINCT document_id) FILTER (NOT is_credit_note) AS eligible_documents,
           count(DISTINCT document_id) FILTER (NOT is_credit_note AND is_ehandel) AS ehandel_documents
    FROM purchases
    WHERE eligible AND purchase_date BETWEEN first_day AND last_day
    GROUP BY ean)
SELECT * EXCLUDE (f), unnest(f) FROM (
    SELECT u.ean, u.name, u.level1, u.level2, u.level3, u.level4, u.unit_type, u.goods_budget,
           rate_figures(coalesce(t.eligible_amount, 0), coalesce(t.ehandel_amount, 0),
                        coalesce(t.eligible_documents, 0), coalesce(t.ehandel_documents, 0)) AS f
    FROM units u LEFT JOIN totals t USING (ean))
ORDER BY ean;

-- Eligible documents of each unit in a period: the resampling units of the rank bootstrap.
CREATE OR REPLACE MACRO unit_documents_between(first_day, last_day) AS TABLE
SELECT ean, document_id, sum(amount) AS amount, bool_or(is_ehandel) AS is_ehandel,
       bool_or(is_credit_note) AS is_credit_note
FROM purchases
WHERE eligible AND purchase_date BETWEEN first_day AND last_day
GROUP BY ean, document_id
ORDER BY ean, document_id;

-- Each eligible purchase line with its agreement status on the purchase date: "covered" when a
-- binding agreement covers its UNSPSC code, "on_agreement" when bought from a supplier that holds
-- such an agreement for the code.
CREATE OR REPLACE VIEW purchase_agreements AS
SELECT p.*,
       EXISTS (SELECT 1 FROM agreements a
               WHERE a.binding AND starts_with(p.unspsc, a.unspsc_prefix)
                 AND p.purchase_date BETWEEN a.valid_from AND a.valid_to) AS covered,
       EXISTS (SELECT 1 FROM agreements a
               WHERE a.binding AND a.supplier_cvr = p.supplier_cvr AND starts_with(p.unspsc, a.unspsc_prefix)
                 AND p.purchase_date BETWEEN a.valid_from AND a.valid_to) AS on_agreement
FROM purchases p
WHERE p.eligible;

-- Classification coverage over a period: per unit, the spend of each eligibility key (the one that
-- classified the line, 'uklassificeret' where none did), split by eligible and e-handel. Reports show
-- from it how much of the spend the rules classify, whether e-handel lines are classified more often
-- than the others (which inflates the rate), and the rate's range (analysis.coverage).
CREATE OR REPLACE MACRO coverage_between(first_day, last_day) AS TABLE
SELECT ean, coalesce(eligibility_rule, 'uklassificeret') AS rule, eligible, is_ehandel,
       sum(amount) AS amount, count(*) AS lines
FROM purchases
WHERE purchase_date BETWEEN first_day AND last_day
GROUP BY ALL
ORDER BY ALL;

-- The eligibility rules in use over a period: per key and value (the UNSPSC prefix of kategorier.csv,
-- the art, CVR, Varetype or word of egnethed.csv) the spend it classified, for the method sections.
CREATE OR REPLACE MACRO rules_between(first_day, last_day) AS TABLE
SELECT eligibility_rule AS rule, eligibility_value AS value, category, eligible,
       count(*) AS lines, sum(amount) AS amount, coalesce(sum(amount) FILTER (is_ehandel), 0) AS ehandel_amount
FROM purchases
WHERE purchase_date BETWEEN first_day AND last_day AND eligibility_rule IS NOT NULL
GROUP BY ALL
ORDER BY amount DESC, rule, value;
